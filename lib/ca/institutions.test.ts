import { describe, expect, it } from 'vitest';
import { ENGINES, breakAuditWrites, eventsAfter, headSeq, useTestDatabase } from '../../test/support/databases';
import { verifyStoredChain } from '../audit';
import { parseHex, toHex } from '../bytes';
import type { Operator } from './context';
import { approveWithdrawal, createInstitution, findInstitution, listInstitutions, parseContacts, setInstitutionStatus, updateInstitution } from './institutions';
import { authenticate, bootstrapAdministrator } from './operators';
import { bootstrapOperator } from '../../test/support/operators';

const PASSWORD = 'correct horse battery';
const code = (hex: string) => {
  const r = parseHex(hex);
  if (!r.ok) throw new Error(hex);
  return r.value;
};

describe('parseContacts', () => {
  it('accepts name with optional role, email and phone, trimmed', () => {
    expect(parseContacts([{ name: ' 王伟 ', role: 'security officer', email: 'wang@example.cn', phone: '+86 10 1234 5678' }, { name: 'Li' }])).toEqual({
      ok: true,
      value: [{ name: '王伟', role: 'security officer', email: 'wang@example.cn', phone: '+86 10 1234 5678' }, { name: 'Li' }],
    });
  });

  it.each([
    [{}, 'contacts'],
    [[{}], 'contacts[0].name'],
    [['x'], 'contacts[0]'],
    [[{ name: 'a', fax: '1' }], 'contacts[0]'],
    [[{ name: 'a' }, { name: 'b', email: 'not-an-address' }], 'contacts[1].email'],
    [[{ name: 'a', phone: 'call me' }], 'contacts[0].phone'],
    [[{ name: 7 }], 'contacts[0].name'],
  ])('refuses %j at %s', (value, field) => {
    const r = parseContacts(value);
    expect(!r.ok && [r.error.code, r.error.field]).toEqual(['CONTACTS_INVALID', field]);
  });
});

describe.each(ENGINES)('institutions on %s', (engine) => {
  const t = useTestDatabase(engine);
  let officer: Operator;
  let officer2: Operator;
  let auditor: Operator;

  it('setup: an officer and an auditor', async () => {
    const admin = await bootstrapAdministrator(t.ctx, { username: 'admin', displayName: 'Admin', password: PASSWORD });
    const adminOp = admin.ok ? await authenticate(t.ctx, 'admin', PASSWORD) : admin;
    if (!adminOp.ok) throw new Error('bootstrap');
    officer = await bootstrapOperator(t.ctx, adminOp.value, 'officer', 'OFFICER', PASSWORD);
    officer2 = await bootstrapOperator(t.ctx, adminOp.value, 'officer2', 'OFFICER', PASSWORD);
    auditor = await bootstrapOperator(t.ctx, adminOp.value, 'auditor', 'AUDITOR', PASSWORD);
  });

  it('allocates increasing codes per kind, skipping codes given explicitly; one audit event each', async () => {
    const before = await headSeq(t.db.prisma);
    const explicit = await createInstitution(t.ctx, officer, { kind: 'ISSUER', code: code('00000002'), nameZh: '北京市政交通一卡通', nameEn: 'BMAC', contacts: [{ name: '王伟', email: 'wang@example.cn' }] });
    const first = await createInstitution(t.ctx, officer, { kind: 'ISSUER', nameZh: '上海公共交通卡' });
    const second = await createInstitution(t.ctx, officer, { kind: 'ISSUER', nameZh: '广州羊城通' });
    const acquirer = await createInstitution(t.ctx, officer, { kind: 'ACQUIRER', nameZh: '收单机构甲' });
    const platform = await createInstitution(t.ctx, officer, { kind: 'PLATFORM', code: code('00000002'), nameZh: '发卡平台乙' });
    const codes = [explicit, first, second, acquirer, platform].map((r) => (r.ok ? `${r.value.kind}:${toHex(r.value.code)}` : r.error.code));
    expect(codes).toEqual(['ISSUER:00000002', 'ISSUER:00000001', 'ISSUER:00000003', 'ACQUIRER:00000001', 'PLATFORM:00000002']);
    expect(explicit.ok && explicit.value).toMatchObject({ status: 'ACTIVE', nameEn: 'BMAC', contacts: [{ name: '王伟', email: 'wang@example.cn' }] });

    const events = await eventsAfter(t.db.prisma, before);
    expect(events).toHaveLength(5);
    expect(events[0]).toMatchObject({
      action: 'institution.create',
      actor: 'officer',
      actorId: officer.id,
      objectType: 'institution',
      objectId: String(explicit.ok && explicit.value.id),
      details: { kind: 'ISSUER', code: '00000002', codeAllocated: false, nameZh: '北京市政交通一卡通', nameEn: 'BMAC', contacts: [{ name: '王伟', email: 'wang@example.cn' }] },
    });
    expect(events[1].details).toMatchObject({ code: '00000001', codeAllocated: true });
  });

  it('refuses a taken code, bad input and non-officers with typed errors and no event', async () => {
    const before = await headSeq(t.db.prisma);
    const cases = [
      [officer, { kind: 'ISSUER', code: code('00000001'), nameZh: '重复' }, 'INSTITUTION_CODE_TAKEN', 'code'],
      [officer, { kind: 'ISSUER', code: code('000001'), nameZh: '短' }, 'INSTITUTION_CODE_INVALID', 'code'],
      [officer, { kind: 'ISSUER', code: code('00000000'), nameZh: '零' }, 'INSTITUTION_CODE_INVALID', 'code'],
      [officer, { kind: 'ISSUER', code: code('ffffffff'), nameZh: '满' }, 'INSTITUTION_CODE_INVALID', 'code'],
      [officer, { kind: 'ISSUER', nameZh: '  ' }, 'INSTITUTION_INVALID', 'nameZh'],
      [officer, { kind: 'BANK', nameZh: '银行' }, 'INSTITUTION_INVALID', 'kind'],
      [officer, { kind: 'ISSUER', nameZh: '联系人', contacts: [{ name: 'x', email: 'nope' }] }, 'CONTACTS_INVALID', 'contacts[0].email'],
      [auditor, { kind: 'ISSUER', nameZh: '审计员' }, 'OPERATOR_FORBIDDEN', undefined],
    ] as const;
    for (const [actor, input, errorCode, field] of cases) {
      const r = await createInstitution(t.ctx, actor, input as Parameters<typeof createInstitution>[2]);
      expect(r.ok ? 'created' : [r.error.code, r.error.field]).toEqual([errorCode, field]);
    }
    expect(await eventsAfter(t.db.prisma, before)).toHaveLength(0);
  });

  it('changes status along ACTIVE ⇄ SUSPENDED → WITHDRAWN only, an issuer withdrawn by a second officer, each step one event', async () => {
    const ref = { kind: 'ISSUER' as const, code: code('00000003') };
    const before = await headSeq(t.db.prisma);
    const suspended = await setInstitutionStatus(t.ctx, officer, ref, 'SUSPENDED', 'overdue settlement');
    const resumed = await setInstitutionStatus(t.ctx, officer, ref, 'ACTIVE', 'settled');
    const again = await setInstitutionStatus(t.ctx, officer, ref, 'ACTIVE', 'no-op');
    const asked = await setInstitutionStatus(t.ctx, officer, ref, 'WITHDRAWN', 'left the scheme');
    const twice = await setInstitutionStatus(t.ctx, officer2, ref, 'WITHDRAWN', 'again');
    const self = await approveWithdrawal(t.ctx, officer, ref);
    const byAuditor = await approveWithdrawal(t.ctx, auditor, ref);
    const withdrawn = await approveWithdrawal(t.ctx, officer2, ref);
    const back = await setInstitutionStatus(t.ctx, officer, ref, 'ACTIVE', 'rejoin');
    const noReason = await setInstitutionStatus(t.ctx, officer, ref, 'SUSPENDED', ' ');
    const missing = await setInstitutionStatus(t.ctx, officer, { id: 99999 }, 'SUSPENDED', 'x');
    expect(asked.ok && [asked.value.status, asked.value.pendingWithdrawal?.requestedBy]).toEqual(['ACTIVE', officer.id]);
    expect([suspended, resumed, again, twice, self, byAuditor, withdrawn, back, noReason, missing].map((r) => (r.ok ? r.value.status : r.error.code))).toEqual([
      'SUSPENDED',
      'ACTIVE',
      'INSTITUTION_STATUS_TRANSITION',
      'INSTITUTION_WITHDRAWAL_PENDING',
      'DUAL_CONTROL_SAME_OFFICER',
      'OPERATOR_FORBIDDEN',
      'WITHDRAWN',
      'INSTITUTION_STATUS_TRANSITION',
      'INSTITUTION_INVALID',
      'INSTITUTION_NOT_FOUND',
    ]);
    const events = await eventsAfter(t.db.prisma, before);
    expect(events.map((e) => [e.action, e.actor, (e.details as { to?: string }).to ?? (e.details as { code: string }).code])).toEqual([
      ['institution.status', 'officer', 'SUSPENDED'],
      ['institution.status', 'officer', 'ACTIVE'],
      ['institution.withdrawalRequested', 'officer', '00000003'],
      ['institution.approvalRefused', 'officer', 'DUAL_CONTROL_SAME_OFFICER'],
      ['institution.approvalRefused', 'auditor', 'OPERATOR_FORBIDDEN'],
      ['institution.status', 'officer2', 'WITHDRAWN'],
    ]);
    expect(events[5].details).toMatchObject({ reason: 'left the scheme', code: '00000003', requestedBy: 'officer' });
    const row = await t.db.prisma.institution.findUniqueOrThrow({ where: { id: withdrawn.ok ? withdrawn.value.id : 0 } });
    expect([row.withdrawalRequestedById, row.withdrawalApprovedById]).toEqual([officer.id, officer2.id]);
  });

  it('updates names and contacts (not of a withdrawn institution), recording before and after', async () => {
    const ref = { kind: 'ISSUER' as const, code: code('00000001') };
    const before = await headSeq(t.db.prisma);
    const updated = await updateInstitution(t.ctx, officer, ref, { nameEn: 'Shanghai Public Transport Card', contacts: [{ name: 'Zhang', phone: '+86 21 5555 0000' }] });
    expect(updated.ok && updated.value).toMatchObject({ nameZh: '上海公共交通卡', nameEn: 'Shanghai Public Transport Card', contacts: [{ name: 'Zhang', phone: '+86 21 5555 0000' }] });
    const nothing = await updateInstitution(t.ctx, officer, ref, {});
    const withdrawn = await updateInstitution(t.ctx, officer, { kind: 'ISSUER', code: code('00000003') }, { nameEn: 'x' });
    expect([nothing, withdrawn].map((r) => !r.ok && r.error.code)).toEqual(['INSTITUTION_INVALID', 'INSTITUTION_WITHDRAWN']);
    const events = await eventsAfter(t.db.prisma, before);
    expect(events).toHaveLength(1);
    expect(events[0].details).toEqual({
      before: { nameEn: null, contacts: [] },
      after: { nameEn: 'Shanghai Public Transport Card', contacts: [{ name: 'Zhang', phone: '+86 21 5555 0000' }] },
    });
  });

  it('finds and lists institutions by kind and status', async () => {
    const found = await findInstitution(t.ctx, { kind: 'PLATFORM', code: code('00000002') });
    expect(found.ok && found.value.nameZh).toBe('发卡平台乙');
    const missing = await findInstitution(t.ctx, { kind: 'ACQUIRER', code: code('00000002') });
    expect(!missing.ok && missing.error.code).toBe('INSTITUTION_NOT_FOUND');
    const issuers = await listInstitutions(t.ctx, { kind: 'ISSUER' });
    expect(issuers.map((i) => `${toHex(i.code)}:${i.status}`)).toEqual(['00000001:ACTIVE', '00000002:ACTIVE', '00000003:WITHDRAWN']);
    expect((await listInstitutions(t.ctx, { status: 'WITHDRAWN' })).map((i) => toHex(i.code))).toEqual(['00000003']);
  });

  it('makes no change when the audit event cannot be written', async () => {
    const before = await headSeq(t.db.prisma);
    const count = await t.db.prisma.institution.count();
    const repair = await breakAuditWrites(t.db.prisma);
    try {
      const created = await createInstitution(t.ctx, officer, { kind: 'ISSUER', nameZh: '不应存在' });
      const suspended = await setInstitutionStatus(t.ctx, officer, { kind: 'ISSUER', code: code('00000001') }, 'SUSPENDED', 'x');
      const renamed = await updateInstitution(t.ctx, officer, { kind: 'ISSUER', code: code('00000001') }, { nameZh: '改名' });
      expect([created, suspended, renamed].map((r) => !r.ok && r.error.code)).toEqual(['AUDIT_WRITE_FAILED', 'AUDIT_WRITE_FAILED', 'AUDIT_WRITE_FAILED']);
    } finally {
      await repair();
    }
    expect(await t.db.prisma.institution.count()).toBe(count);
    expect(await t.db.prisma.institution.findUnique({ where: { kind_code: { kind: 'ISSUER', code: code('00000001') as Uint8Array<ArrayBuffer> } } })).toMatchObject({ status: 'ACTIVE', nameZh: '上海公共交通卡' });
    expect(await headSeq(t.db.prisma)).toBe(before);
    // the allocation rolled back with it: the next issuer gets the code the failed one would have had
    const next = await createInstitution(t.ctx, officer, { kind: 'ISSUER', nameZh: '深圳通' });
    expect(next.ok && toHex(next.value.code)).toBe('00000004');
    const chain = await verifyStoredChain(t.db.prisma);
    expect(chain.ok && chain.value.lastSeq).toBe(before + 1n);
  });
});

// PostgreSQL: concurrent connections queue on the counter and chain-head rows. PGlite: one
// connection, so the adapter must keep concurrent transactions from interleaving.
describe.each(ENGINES)('concurrent institution creation on %s', (engine) => {
  const t = useTestDatabase(engine);

  it('allocates distinct, gapless codes and one event each', async () => {
    await bootstrapAdministrator(t.ctx, { username: 'admin', displayName: 'Admin', password: PASSWORD });
    const admin = await authenticate(t.ctx, 'admin', PASSWORD);
    if (!admin.ok) throw new Error('login');
    const before = await headSeq(t.db.prisma);
    const results = await Promise.all(Array.from({ length: 8 }, (_, i) => createInstitution(t.ctx, admin.value, { kind: 'ACQUIRER', nameZh: `收单${i}` })));
    const codes = results.map((r) => (r.ok ? toHex(r.value.code) : r.error.code)).sort();
    expect(codes).toEqual(['00000001', '00000002', '00000003', '00000004', '00000005', '00000006', '00000007', '00000008']);
    expect(await eventsAfter(t.db.prisma, before)).toHaveLength(8);
    expect((await verifyStoredChain(t.db.prisma)).ok).toBe(true);
  });
});
