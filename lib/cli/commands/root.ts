import type { CommandGroup } from '../command';

const load = (name: 'create' | 'approve' | 'announce' | 'activate' | 'retire' | 'cancel' | 'list') => () => import('./rootCommands').then((m) => ({ default: m[name] }));

export const root: CommandGroup = {
  name: 'root',
  summary: 'root keys and their dual-control ceremonies (TQ-CERT-1 §9)',
  commands: [
    { name: 'create', summary: 'request a new root key (a second officer approves)', load: load('create') },
    { name: 'approve', summary: 'approve a ceremony: checks, then the HSM acts', load: load('approve') },
    { name: 'announce', summary: 'request announcement of a pending root key (listed in bundles ahead of use)', load: load('announce') },
    { name: 'activate', summary: 'request activation of an announced root key (or of the first one)', load: load('activate') },
    { name: 'retire', summary: 'request retirement of an active root key', load: load('retire') },
    { name: 'cancel', summary: 'withdraw a ceremony that awaits approval', load: load('cancel') },
    { name: 'list', summary: 'root keys and ceremonies', load: load('list') },
  ],
};
