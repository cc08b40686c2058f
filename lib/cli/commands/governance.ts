import type { CommandGroup } from '../command';

const load = (name: 'seal' | 'report') => () => import('./governanceCommands').then((m) => ({ default: m[name] }));

export const governance: CommandGroup = {
  name: 'governance',
  summary: 'the operator set’s seal and the dual-control report replayed from the audit log',
  commands: [
    { name: 'seal', summary: 'end bootstrap: record the operator set (two administrators, two officers)', load: load('seal') },
    { name: 'report', summary: 'operators, role history, dual-controlled actions and rule violations, from the audit chain', load: load('report') },
  ],
};
