/**
 * API tokens and distribution records on the embedded database: a token is shown once and stored
 * as its SM3, checked in constant time with one answer for unknown id and wrong secret, refused
 * when expired, revoked, out of scope or its institution inactive; creation and revocation are
 * audited, and an acknowledgement whose body SM3 differs from the published one is an alarm.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { useTestDatabase } from '../../test/support/databases';
import { sm3 } from '../crypto/sm3';
import { unwrap } from '../errors';
import { checkToken, createApiToken, listApiTokens, loadTokenRecord, parseApiToken, revokeApiToken, tokenStateMarker } from './apiTokens';
import type { Operator } from './context';
import { distributionStatus, recordAcknowledgement, recordPolls } from './distribution';
import { createInstitution, setInstitutionStatus } from './institutions';
import { sealedOperatorSet } from '../../test/support/operators';

const PASSWORD = 'correct horse battery staple';
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);
const DAY = 24 * 3600 * 1000;

describe('API tokens', () => {
  const t = useTestDatabase('pglite');
  let admin: Operator;
  let officer: Operator;
  let acquirer: number;
  let issuer: number;
  const later = () => new Date(t.ctx.now().getTime() + 30 * DAY);

  beforeAll(async () => {
    ({ admin, alice: officer } = await sealedOperatorSet(t.ctx, PASSWORD, [['alice', 'OFFICER'], ['bob', 'OFFICER']]));
    acquirer = unwrap(await createInstitution(t.ctx, admin, { kind: 'ACQUIRER', nameZh: '收单甲' })).id;
    issuer = unwrap(await createInstitution(t.ctx, admin, { kind: 'ISSUER', nameZh: '发卡乙' })).id;
  });

  it('creates a token shown once, stores only the SM3 of its secret, and audits the creation', async () => {
    const created = await createApiToken(t.ctx, admin, { institutionId: acquirer, scope: 'ACQUIRER', label: 'TMS 1', expiresAt: later() });
    expect(code(created)).toBe('ok');
    if (!created.ok) return;
    const presented = parseApiToken(created.value.token)!;
    expect(presented.publicId).toBe(created.value.view.id);
    const row = await t.db.prisma.apiToken.findUniqueOrThrow({ where: { publicId: presented.publicId } });
    expect(Buffer.from(row.secretHash)).toEqual(Buffer.from(sm3(presented.secret)));
    expect(JSON.stringify(await listApiTokens(t.ctx))).not.toContain(created.value.token.slice(-43));
    const event = await t.db.prisma.auditEvent.findFirstOrThrow({ where: { action: 'apiToken.create', objectId: presented.publicId } });
    expect(JSON.stringify(event.details)).not.toContain(created.value.token.slice(-43));

    const record = await loadTokenRecord(t.ctx, presented.publicId);
    expect(code(checkToken(record, presented, 'ACQUIRER', t.ctx.now()))).toBe('ok');
    expect(code(checkToken(record, presented, 'ISSUER', t.ctx.now()))).toBe('API_SCOPE_FORBIDDEN');
    const wrongSecret = { ...presented, secret: new Uint8Array(32).fill(7) };
    expect(code(checkToken(record, wrongSecret, 'ACQUIRER', t.ctx.now()))).toBe('API_CREDENTIALS_REJECTED');
    expect(code(checkToken(null, presented, 'ACQUIRER', t.ctx.now()))).toBe('API_CREDENTIALS_REJECTED');
    expect(code(checkToken(record, presented, 'ACQUIRER', new Date(Date.now() + 400 * DAY)))).toBe('API_TOKEN_EXPIRED');
  });

  it('refuses malformed tokens, bad creation input and non-administrators', async () => {
    for (const text of ['', 'tqt_', 'tqt_0123456789abcdef_short', `tqt_0123456789ABCDEF_${'A'.repeat(43)}`, `tqt_0123456789abcdef_${'A'.repeat(42)}B`, `Bearer tqt_0123456789abcdef_${'A'.repeat(43)}`]) {
      expect(parseApiToken(text), text).toBeNull();
    }
    expect(parseApiToken(`tqt_0123456789abcdef_${'A'.repeat(43)}`)).not.toBeNull();
    const base = { institutionId: acquirer, scope: 'ACQUIRER' as const, label: 'x', expiresAt: later() };
    expect(code(await createApiToken(t.ctx, officer, base))).toBe('OPERATOR_FORBIDDEN');
    expect(code(await createApiToken(t.ctx, admin, { ...base, label: ' ' }))).toBe('API_TOKEN_INVALID');
    expect(code(await createApiToken(t.ctx, admin, { ...base, expiresAt: new Date(0) }))).toBe('API_TOKEN_INVALID');
    expect(code(await createApiToken(t.ctx, admin, { ...base, expiresAt: new Date(Date.now() + 800 * DAY) }))).toBe('API_TOKEN_INVALID');
    expect(code(await createApiToken(t.ctx, admin, { ...base, scope: 'ISSUER' }))).toBe('API_TOKEN_SCOPE_KIND');
    expect(code(await createApiToken(t.ctx, admin, { ...base, institutionId: issuer }))).toBe('API_TOKEN_SCOPE_KIND');
    expect(code(await createApiToken(t.ctx, admin, { ...base, institutionId: 9999 }))).toBe('INSTITUTION_NOT_FOUND');
  });

  it('revokes once, audited, and the marker API processes poll moves', async () => {
    const created = await createApiToken(t.ctx, admin, { institutionId: acquirer, scope: 'ACQUIRER', label: 'TMS 2', expiresAt: later() });
    if (!created.ok) throw new Error(created.error.message);
    const presented = parseApiToken(created.value.token)!;
    const before = await tokenStateMarker(t.ctx);
    expect(code(await revokeApiToken(t.ctx, officer, presented.publicId, 'lost'))).toBe('OPERATOR_FORBIDDEN');
    expect(code(await revokeApiToken(t.ctx, admin, presented.publicId, ' '))).toBe('API_TOKEN_INVALID');
    expect(code(await revokeApiToken(t.ctx, admin, presented.publicId, 'TMS host decommissioned'))).toBe('ok');
    expect(code(await revokeApiToken(t.ctx, admin, presented.publicId, 'again'))).toBe('API_TOKEN_ALREADY_REVOKED');
    expect(code(await revokeApiToken(t.ctx, admin, 'ffffffffffffffff', 'x'))).toBe('API_TOKEN_UNKNOWN');
    expect(await tokenStateMarker(t.ctx)).not.toBe(before);
    expect(code(checkToken(await loadTokenRecord(t.ctx, presented.publicId), presented, 'ACQUIRER', t.ctx.now()))).toBe('API_TOKEN_REVOKED');
    expect(await t.db.prisma.auditEvent.count({ where: { action: 'apiToken.revoke', objectId: presented.publicId } })).toBe(1);
  });

  it('refuses the token of a suspended institution', async () => {
    const other = unwrap(await createInstitution(t.ctx, admin, { kind: 'ACQUIRER', nameZh: '收单丙' }));
    const created = await createApiToken(t.ctx, admin, { institutionId: other.id, scope: 'ACQUIRER', label: 'c', expiresAt: later() });
    if (!created.ok) throw new Error(created.error.message);
    const presented = parseApiToken(created.value.token)!;
    const before = await tokenStateMarker(t.ctx);
    expect(code(await setInstitutionStatus(t.ctx, admin, { id: other.id }, 'SUSPENDED', 'audit finding'))).toBe('ok');
    expect(await tokenStateMarker(t.ctx)).not.toBe(before);
    expect(code(checkToken(await loadTokenRecord(t.ctx, presented.publicId), presented, 'ACQUIRER', t.ctx.now()))).toBe('API_INSTITUTION_INACTIVE');
  });

  it('records acknowledgements (a differing body SM3 as an alarm), batched polls, and answers the status', async () => {
    const created = await createApiToken(t.ctx, admin, { institutionId: acquirer, scope: 'ACQUIRER', label: 'TMS 3', expiresAt: later() });
    if (!created.ok) throw new Error(created.error.message);
    const client = unwrap(checkToken(await loadTokenRecord(t.ctx, created.value.view.id), parseApiToken(created.value.token)!, 'ACQUIRER', t.ctx.now()));
    const published = sm3(new Uint8Array([1]));
    expect(code(await recordAcknowledgement(t.ctx, client, { version: 3, bodySm3: published }, null))).toBe('ACKNOWLEDGED_VERSION_UNKNOWN');
    const good = await recordAcknowledgement(t.ctx, client, { version: 2, bodySm3: published }, published);
    expect(good.ok && good.value.matches).toBe(true);
    const bad = await recordAcknowledgement(t.ctx, client, { version: 3, bodySm3: sm3(new Uint8Array([2])) }, published);
    expect(bad.ok && bad.value.matches).toBe(false);
    expect(await t.db.prisma.auditEvent.count({ where: { action: 'distribution.alarm' } })).toBe(1);

    const at = (s: number) => new Date(Date.UTC(2026, 11, 1, 0, 0, s));
    await recordPolls(t.ctx, [{ institutionId: acquirer, version: 3, served: 1, notModified: 4, first: at(1), last: at(5) }]);
    await recordPolls(t.ctx, [{ institutionId: acquirer, version: 3, served: 0, notModified: 2, first: at(6), last: at(9) }]);
    const poll = await t.db.prisma.distributionPoll.findUniqueOrThrow({ where: { institutionId_version: { institutionId: acquirer, version: 3 } } });
    expect([poll.served, poll.notModified, poll.firstPollAt, poll.lastPollAt]).toEqual([1n, 6n, at(1), at(9)]);

    const status = await distributionStatus(t.ctx, { thresholds: { silentAfterMs: 86_400_000, behindAfterMs: 86_400_000 } });
    if (!status.ok) throw new Error(status.error.message);
    const row = status.value.acquirers.find((a) => a.institutionId === acquirer)!;
    // The mismatched version 3 does not count as installed: 2 is, and the mismatch stands as the row's status.
    expect([row.acknowledgedVersion, row.lastPolledVersion, row.lastPollAt, row.alarms, row.status]).toEqual([2, 3, at(9), 1, 'mismatch']);
  });
});
