/** `tqca governance …`: the seal (lib/ca/governance) and the report (lib/ca/governanceReport). */
import { governanceReport, sealGovernance, type GovernanceReport, type SealView } from '../../ca';
import { defineCommand, invalid, valid, type JsonObject } from '../command';
import { details, table } from './caSession';
import { asDatabaseOperator } from './databaseSession';

const sealText = (s: SealView) =>
  `${details({ sealedAt: s.sealedAt.toISOString(), sealedBy: s.sealedBy })}${table(s.operators, [
    ['id', (o) => o.id],
    ['username', (o) => o.username],
    ['name', (o) => o.displayName],
    ['roles', (o) => o.roles.join(',')],
  ])}`;

export const seal = defineCommand({
  description: `Ends bootstrap (an administrator): records the active operator set — at least two
administrators and two officers, one role each — in the database and the audit log. Before it no
root-key ceremony starts; after it every operator change needs a second administrator. Check the
set against the people identified in the room before sealing: it is recorded for good.`,
  options: {},
  positionals: {},
  run: () =>
    asDatabaseOperator(async (ctx, operator) => {
      const sealed = await sealGovernance(ctx, operator);
      return sealed.ok ? { ...valid({ seal: sealed.value as unknown as JsonObject }), text: sealText(sealed.value) } : invalid(sealed.error);
    }),
});

function reportText(r: GovernanceReport): string {
  const section = (title: string, body: string) => `${title}\n${body}\n`;
  return [
    section('seal', r.sealed ? details({ seq: r.sealed.seq, at: r.sealed.at, by: r.sealed.by, operators: r.sealed.operators.join(', ') }) : 'not sealed\n'),
    section(
      'operators',
      table(r.operators, [
        ['id', (o) => o.id],
        ['username', (o) => o.username],
        ['roles', (o) => o.roles.join(',')],
        ['status', (o) => o.status],
        ['createdBy', (o) => o.createdBy],
        ['requestedBy', (o) => o.requestedBy],
        ['history', (o) => o.history.map((h) => `${h.seq}:${h.change} by ${h.by}${h.requestedBy ? ` (asked by ${h.requestedBy})` : ''}`).join('; ')],
      ]),
    ),
    section(
      'dual control',
      table(r.dualControl, [
        ['seq', (a) => a.seq],
        ['at', (a) => a.at],
        ['action', (a) => a.action],
        ['object', (a) => a.object],
        ['participants', (a) => a.participants.join(' + ')],
      ]),
    ),
    section(
      `violations (${r.violations.length})`,
      table(r.violations, [
        ['seq', (v) => v.seq],
        ['rule', (v) => v.rule],
        ['operators', (v) => v.operators.join(',')],
        ['message', (v) => v.message],
      ]),
    ),
  ].join('');
}

export const report = defineCommand({
  description: `Verifies the audit chain and replays it (administrators and auditors): every operator with
who created and approved them and their role history, every dual-controlled action with its two
participants, and each rule violation found — separation of duties at every point, two distinct
eligible participants per dual-controlled action, operator changes after the seal approved by a
second administrator, no ceremony before the seal, tables that say what the log does not.
Exit 1 when a violation is found.`,
  options: {},
  positionals: {},
  run: () =>
    asDatabaseOperator(async (ctx, operator) => {
      const built = await governanceReport(ctx, operator);
      if (!built.ok) return invalid(built.error);
      const body = { report: built.value as unknown as JsonObject };
      const outcome = built.value.violations.length === 0 ? valid(body) : { ...invalid({ code: 'GOVERNANCE_VIOLATIONS', message: `${built.value.violations.length} governance rule violation(s) in the audit log`, details: { count: built.value.violations.length } }, body) };
      return { ...outcome, text: reportText(built.value) };
    }),
});
