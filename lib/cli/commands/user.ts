import type { CommandGroup } from '../command';

type Name = 'create' | 'role' | 'enable' | 'resetSecondFactor' | 'resetPassword' | 'disable' | 'passwd' | 'list' | 'requests' | 'approve' | 'reject';
const load = (name: Name) => () => import('./userCommands').then((m) => ({ default: m[name] }));

export const user: CommandGroup = {
  name: 'user',
  summary: 'console operators: the first administrator, accounts, roles and their dual control',
  commands: [
    { name: 'create', summary: 'create an operator (--bootstrap: the first administrator)', load: load('create') },
    { name: 'role', summary: 'change an operator’s role', load: load('role') },
    { name: 'enable', summary: 'enable a disabled operator', load: load('enable') },
    { name: 'reset-2fa', summary: 'reset an operator’s second factor', load: load('resetSecondFactor') },
    { name: 'reset-password', summary: 'reset an operator’s password to a one-time password', load: load('resetPassword') },
    { name: 'disable', summary: 'disable an operator at once (cannot sign in or act)', load: load('disable') },
    { name: 'passwd', summary: 'change your own password (required after a one-time password)', load: load('passwd') },
    { name: 'list', summary: 'operators, roles and status', load: load('list') },
    { name: 'requests', summary: 'operator change requests awaiting or past approval', load: load('requests') },
    { name: 'approve', summary: 'approve another administrator’s operator change', load: load('approve') },
    { name: 'reject', summary: 'reject an operator change, with a reason', load: load('reject') },
  ],
};
