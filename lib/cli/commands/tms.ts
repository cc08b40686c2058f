import type { CommandGroup } from '../command';

const load = (name: 'pull' | 'status') => () => import('./tmsCommands').then((m) => ({ default: m[name] }));

export const tms: CommandGroup = {
  name: 'tms',
  summary: 'the reference acquirer TMS: pull, verify, install and acknowledge bundles over the API (exit 3: alarm)',
  commands: [
    { name: 'pull', summary: 'poll the server; install a newer verified bundle (delta first), acknowledge it; refuse anything else', load: load('pull') },
    { name: 'status', summary: 'what is installed in a TMS state directory, and whether it is near or past expiry', load: load('status') },
  ],
};
