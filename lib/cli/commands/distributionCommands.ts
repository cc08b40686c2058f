/** `tqca distribution status`: the CA's distribution service (lib/ca/distribution.ts): per-acquirer status, then revocation propagation. */
import { distributionStatus, distributionThresholds, propagationSeconds, revocationPropagation, type DistributionStatus, type RevocationPropagation } from '../../ca';
import { publicationPolicyFrom } from '../../runtime/openCa';
import { defineCommand, invalid, value, type JsonObject } from '../command';
import { instantInput } from '../inputs';
import { answer, idInput, table } from './caSession';
import { asDatabaseOperator } from './databaseSession';

const statusText = (s: DistributionStatus) =>
  `current version: ${s.latest ? `${s.latest.version} (published ${s.latest.publishedAt.toISOString()})` : '(none published)'}\n` +
  table(s.acquirers, [
    ['acquirer', (a) => a.code],
    ['name', (a) => a.nameZh],
    ['status', (a) => a.status],
    ['last poll', (a) => a.lastPollAt?.toISOString()],
    ['polled version', (a) => a.lastPolledVersion],
    ['acknowledged', (a) => a.acknowledgedVersion],
    ['lag (versions)', (a) => a.lagVersions],
    ['lag (s)', (a) => (a.lagMs === null ? null : Math.round(a.lagMs / 1000))],
    ['alarms', (a) => a.alarms],
  ]) + (s.missing ? `not acknowledged version ${s.missing.version} by ${s.missing.by.toISOString()}: ${s.missing.acquirers.length === 0 ? '(none)' : s.missing.acquirers.map((a) => a.code).join(', ')}\n` : '');

const propagationText = (rows: readonly RevocationPropagation[]) =>
  `\nrevocations (newest first):\n${table(rows, [
    ['certificate', (r) => r.certificateNumber],
    ['revoked', (r) => r.revokedAt.toISOString()],
    ['first version', (r) => r.firstVersion],
    ['all acknowledged', (r) => r.completedAt?.toISOString()],
    ['propagation (s)', propagationSeconds],
    ['pending acquirers', (r) => (r.pending.length === 0 ? null : r.pending.join(', '))],
  ])}`;

export const status = defineCommand({
  description: `Per active acquirer: its status (mismatch, never, silent, behind or current; silent and behind
after TQCA_BUNDLE_LEAD_HOURS, the publication lead), last poll, last acknowledged version (with the
published body SM3), lag in versions and time against the current version, and acknowledgements whose
SM3 differed (alarms). With --version N: the
acquirers that had not acknowledged N (or a later version) by --by (default now). Then, for each revocation
(the newest --revocations, default 20, since --since): the first version whose A4 lists it, when the last
active acquirer acknowledged that version or a later one, the propagation time, and who has not yet.`,
  options: {
    version: value('<n>', 'a bundle version (decimal)', idInput('version')),
    by: value('<time>', 'with --version: the deadline (ISO-8601; default: now)', instantInput('by')),
    revocations: value('<n>', 'how many of the newest revocations to follow (default 20)', idInput('revocations')),
    since: value('<time>', 'only revocations from this instant on (ISO-8601)', instantInput('since')),
  },
  positionals: {},
  run: ({ options }) =>
    asDatabaseOperator(async (ctx) => {
      const policy = publicationPolicyFrom(process.env);
      if (!policy.ok) return invalid(policy.error);
      const status = await distributionStatus(ctx, { thresholds: distributionThresholds(policy.value), version: options.version, by: options.by });
      const propagation = await revocationPropagation(ctx, { limit: options.revocations ?? 20, since: options.since });
      if (!propagation.ok) return invalid(propagation.error);
      const outcome = answer(status, 'distribution', statusText);
      if (!status.ok) return outcome;
      return { ...outcome, json: { ...outcome.json, revocations: propagation.value as unknown as JsonObject[] }, text: `${outcome.text}${propagationText(propagation.value)}` };
    }),
});
