import type { CommandGroup } from '../command';

const load = (name: 'create' | 'list' | 'disable' | 'enable') => () => import('./userCommands').then((m) => ({ default: m[name] }));

export const user: CommandGroup = {
  name: 'user',
  summary: 'console operators: the first administrator, accounts and roles',
  commands: [
    { name: 'create', summary: 'create an operator (--bootstrap: the first administrator)', load: load('create') },
    { name: 'list', summary: 'operators, roles and status', load: load('list') },
    { name: 'disable', summary: 'disable an operator (cannot sign in or act)', load: load('disable') },
    { name: 'enable', summary: 'enable a disabled operator', load: load('enable') },
  ],
};
