/** `tqca distribution status`: one call of the CA's distribution service (lib/ca/distribution.ts). */
import { distributionStatus, type DistributionStatus } from '../../ca';
import { defineCommand, value } from '../command';
import { instantInput } from '../inputs';
import { answer, idInput, table } from './caSession';
import { asDatabaseOperator } from './databaseSession';

const statusText = (s: DistributionStatus) =>
  table(s.acquirers, [
    ['acquirer', (a) => a.code],
    ['name', (a) => a.nameZh],
    ['last poll', (a) => a.lastPollAt?.toISOString()],
    ['polled version', (a) => a.lastPolledVersion],
    ['acknowledged', (a) => a.acknowledgedVersion],
    ['lag (versions)', (a) => a.lagVersions],
    ['since ack (s)', (a) => (a.lagMs === null ? null : Math.round(a.lagMs / 1000))],
    ['alarms', (a) => a.alarms],
  ]) + (s.missing ? `not acknowledged version ${s.missing.version} by ${s.missing.by.toISOString()}: ${s.missing.acquirers.length === 0 ? '(none)' : s.missing.acquirers.map((id) => s.acquirers.find((a) => a.institutionId === id)?.code).join(', ')}\n` : '');

export const status = defineCommand({
  description: `Per active acquirer: last poll, last acknowledged version (with the published body SM3),
lag in versions and time, and acknowledgements whose SM3 differed (alarms). With --version N: the
acquirers that had not acknowledged N (or a later version) by --by (default now).`,
  options: {
    version: value('<n>', 'a bundle version (decimal)', idInput('version')),
    by: value('<time>', 'with --version: the deadline (ISO-8601; default: now)', instantInput('by')),
  },
  positionals: {},
  run: ({ options }) =>
    asDatabaseOperator(async (ctx) =>
      // latest: the newest published version comes from the publication pipeline once it lands (lib/publication latestManifest).
      answer(await distributionStatus(ctx, { latest: null, version: options.version, by: options.by }), 'distribution', statusText),
    ),
});
