import type { CommandGroup } from '../command';

const load = (name: 'create' | 'list' | 'show' | 'update' | 'status') => () => import('./institutionCommands').then((m) => ({ default: m[name] }));

export const institution: CommandGroup = {
  name: 'institution',
  summary: 'issuers, acquirers and issuing platforms (4-byte codes allocated by the center)',
  commands: [
    { name: 'create', summary: 'register an institution; the center allocates its code', load: load('create') },
    { name: 'list', summary: 'institutions by kind and status', load: load('list') },
    { name: 'show', summary: 'one institution with its contacts', load: load('show') },
    { name: 'update', summary: 'change names or contacts', load: load('update') },
    { name: 'status', summary: 'suspend, reactivate or withdraw an institution', load: load('status') },
  ],
};
