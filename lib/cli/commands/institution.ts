import type { CommandGroup } from '../command';

const load = (name: 'create' | 'list' | 'show' | 'update' | 'status' | 'approveWithdrawalCommand' | 'rejectWithdrawalCommand') => () => import('./institutionCommands').then((m) => ({ default: m[name] }));

export const institution: CommandGroup = {
  name: 'institution',
  summary: 'issuers, acquirers and issuing platforms (4-byte codes allocated by the center)',
  commands: [
    { name: 'create', summary: 'register an institution; the center allocates its code', load: load('create') },
    { name: 'list', summary: 'institutions by kind and status', load: load('list') },
    { name: 'show', summary: 'one institution with its contacts', load: load('show') },
    { name: 'update', summary: 'change names or contacts', load: load('update') },
    { name: 'status', summary: 'suspend, reactivate or withdraw an institution (an issuer: ask to)', load: load('status') },
    { name: 'approve-withdrawal', summary: 'approve an issuer’s withdrawal (a second operator, an officer)', load: load('approveWithdrawalCommand') },
    { name: 'reject-withdrawal', summary: 'drop an issuer’s pending withdrawal', load: load('rejectWithdrawalCommand') },
  ],
};
