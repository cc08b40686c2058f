import type { CommandGroup } from '../command';

export const distribution: CommandGroup = {
  name: 'distribution',
  summary: 'which acquirers polled and installed which bundle version',
  commands: [{ name: 'status', summary: 'per acquirer: last poll, last acknowledged version, lag; who has not acknowledged a version', load: () => import('./distributionCommands').then((m) => ({ default: m.status })) }],
};
