/**
 * Governance through the services and, for each rule, through raw SQL as if the service code
 * were bypassed: separation of duties, the seal, operator changes after it only with a second
 * administrator's approval in the applying transaction, decided requests immutable, rejection
 * reasons, issuer withdrawal by two, and the governance report replaying the audit chain.
 */
import { describe, expect, it } from 'vitest';
import { ENGINES, eventsAfter, headSeq, useTestDatabase } from '../../test/support/databases';
import { bootstrapOperator, takeOver } from '../../test/support/operators';
import { appendAuditEvent } from '../audit';
import { unwrap } from '../errors';
import type { Operator } from './context';
import { isSealed, sealGovernance } from './governance';
import { governanceReport } from './governanceReport';
import { approveWithdrawal, createInstitution, setInstitutionStatus } from './institutions';
import { approveOperatorChange, changeOperator, listOperatorChanges, rejectOperatorChange } from './operatorChanges';
import { authenticate, bootstrapAdministrator, disableOperator } from './operators';
import { requestRootKeyCreation } from './rootKeys';
import type { CaServices } from './services';
import { transact } from './transaction';

const PASSWORD = 'correct horse battery';
const EXPIRY = { year: 2031, month: 12, day: 31 };

describe.each(ENGINES)('governance on %s', (engine) => {
  const t = useTestDatabase(engine);
  let admin: Operator;
  let admin2: Operator;
  let alice: Operator;
  let bob: Operator;
  /** Ceremony requests are refused before the HSM is reached: no key manager is needed here. */
  const ca = () => ({ ...t.ctx, keys: undefined, centerId: 1 }) as unknown as CaServices;
  const sql = (text: string) => t.db.prisma.$executeRawUnsafe(text);
  const refusedSql = (text: string, constraint: string) => expect(sql(text)).rejects.toThrow(constraint);
  const idOf = async (username: string) => (await t.db.prisma.operator.findUniqueOrThrow({ where: { username } })).id;

  it('before the seal: the first administrator creates the set alone; separation of duties holds in the database too', async () => {
    unwrap(await bootstrapAdministrator(t.ctx, { username: 'admin', displayName: 'Admin', password: PASSWORD }));
    admin = unwrap(await authenticate(t.ctx, 'admin', PASSWORD));
    admin2 = await bootstrapOperator(t.ctx, admin, 'admin2', 'ADMIN', PASSWORD);
    alice = await bootstrapOperator(t.ctx, admin, 'alice', 'OFFICER', PASSWORD);
    await refusedSql(`UPDATE operator SET roles = '{ADMIN,OFFICER}' WHERE username = 'admin'`, 'operator_separation_of_duties_check');
    await refusedSql(`UPDATE operator SET roles = '{OFFICER,AUDITOR}' WHERE username = 'alice'`, 'operator_separation_of_duties_check');
    await refusedSql(
      `INSERT INTO operator (username, display_name, password_hash, roles, updated_at) VALUES ('mallory', 'M', 'x', '{ADMIN,OFFICER}', now())`,
      'operator_separation_of_duties_check',
    );
    await refusedSql(`DELETE FROM operator WHERE username = 'alice'`, 'operator_kept');
    await refusedSql(`UPDATE operator SET username = 'alicia' WHERE username = 'alice'`, 'operator_username_fixed');
  });

  it('refuses a ceremony, and an operator change request, before the seal', async () => {
    const early = await requestRootKeyCreation(ca(), alice, { index: 0x81, environment: 'TEST', expiry: EXPIRY });
    expect(!early.ok && early.error.code).toBe('GOVERNANCE_NOT_SEALED');
    await refusedSql(`INSERT INTO root_key_ceremony (action, parameters, requested_by_id, updated_at) VALUES ('CREATE', '{}', ${alice.id}, now())`, 'root_key_ceremony_after_seal');
    await refusedSql(
      `INSERT INTO operator_change_request (kind, payload, requested_by_id, requested_at, updated_at) VALUES ('CREATE', '{}', ${admin.id}, now(), now())`,
      'operator_change_request_after_seal',
    );
  });

  it('seals only a complete set, once, recording it in the table and the chain', async () => {
    const incomplete = await sealGovernance(t.ctx, admin);
    expect(!incomplete.ok && [incomplete.error.code, incomplete.error.details]).toEqual(['GOVERNANCE_SET_INCOMPLETE', { active: { ADMIN: 2, OFFICER: 1 }, minimum: { ADMIN: 2, OFFICER: 2 } }]);
    await refusedSql(`INSERT INTO governance_seal (id, sealed_at, sealed_by_id, operators) VALUES (1, now(), ${admin.id}, '[]')`, 'governance_seal_set');
    bob = await bootstrapOperator(t.ctx, admin, 'bob', 'OFFICER', PASSWORD);
    const byOfficer = await sealGovernance(t.ctx, alice);
    expect(!byOfficer.ok && byOfficer.error.code).toBe('OPERATOR_FORBIDDEN');
    const before = await headSeq(t.db.prisma);
    const sealed = unwrap(await sealGovernance(t.ctx, admin));
    expect(sealed.operators.map((o) => `${o.username}:${o.roles.join()}`)).toEqual(['admin:ADMIN', 'admin2:ADMIN', 'alice:OFFICER', 'bob:OFFICER']);
    const [event] = await eventsAfter(t.db.prisma, before);
    expect(event).toMatchObject({ action: 'governance.sealed', actor: 'admin', details: { operators: sealed.operators } });
    const again = await sealGovernance(t.ctx, admin2);
    expect(!again.ok && again.error.code).toBe('GOVERNANCE_SEALED');
    await refusedSql(`UPDATE governance_seal SET operators = '[]'`, 'governance_seal_immutable');
    await refusedSql(`DELETE FROM governance_seal`, 'governance_seal_immutable');
    expect(await isSealed(t.db.prisma)).toBe(true);
  });

  it('after the seal: a new officer stays pending until a second administrator approves; its requester cannot', async () => {
    const before = await headSeq(t.db.prisma);
    const asked = unwrap(await changeOperator(t.ctx, admin, { kind: 'CREATE', operator: { username: 'carol', displayName: 'Carol', roles: ['OFFICER'] } }));
    expect(asked).toMatchObject({ operator: null, request: { kind: 'CREATE', state: 'PENDING', target: 'carol', requestedBy: 'admin' } });
    expect(asked.oneTimePassword).toBeUndefined(); // the requester never learns the account's password
    expect(await t.db.prisma.operator.findUnique({ where: { username: 'carol' } })).toBeNull();
    const id = asked.request!.id;
    const self = await approveOperatorChange(t.ctx, admin, id);
    expect(!self.ok && self.error.code).toBe('DUAL_CONTROL_SAME_ADMINISTRATOR');
    const officer = await approveOperatorChange(t.ctx, alice, id);
    expect(!officer.ok && officer.error.code).toBe('OPERATOR_FORBIDDEN');
    const approved = unwrap(await approveOperatorChange(t.ctx, admin2, id));
    expect(approved).toMatchObject({ request: { state: 'APPROVED', decidedBy: 'admin2' }, operator: { username: 'carol', roles: ['OFFICER'], mustChangePassword: true } });
    const carol = await takeOver(t.ctx, { ok: true, value: approved }, PASSWORD);
    expect(carol.roles).toEqual(['OFFICER']);
    const events = await eventsAfter(t.db.prisma, before);
    expect(events.map((e) => [e.action, e.actor])).toEqual([
      ['operatorChange.requested', 'admin'],
      ['operatorChange.approvalRefused', 'admin'],
      ['operatorChange.approvalRefused', 'alice'],
      ['operatorChange.approved', 'admin2'],
      ['operator.create', 'admin2'],
      ['operator.passwordChanged', 'carol'],
    ]);
    expect(events[4].details).toMatchObject({ changeRequestId: id, requestedBy: 'admin', oneTimePassword: true });
    expect(JSON.stringify(events.map((e) => e.details))).not.toContain(approved.oneTimePassword!);
  });

  it('after the seal: role changes and enabling need the second administrator; disabling is at once; rejections need a reason', async () => {
    const demote = unwrap(await changeOperator(t.ctx, admin2, { kind: 'SET_ROLES', username: 'bob', roles: ['AUDITOR'] }));
    expect((await t.db.prisma.operator.findUniqueOrThrow({ where: { username: 'bob' } })).roles).toEqual(['OFFICER']);
    const noReason = await rejectOperatorChange(t.ctx, admin, demote.request!.id, ' ');
    expect(!noReason.ok && noReason.error.code).toBe('REASON_REQUIRED');
    unwrap(await rejectOperatorChange(t.ctx, admin, demote.request!.id, 'bob stays an officer'));
    const decided = await approveOperatorChange(t.ctx, admin, demote.request!.id);
    expect(!decided.ok && decided.error.code).toBe('OPERATOR_CHANGE_STATE');

    unwrap(await changeOperator(t.ctx, admin, { kind: 'CREATE', operator: { username: 'dave', displayName: 'Dave', roles: ['AUDITOR'] } }));
    expect(unwrap(await listOperatorChanges(t.ctx, admin, { state: 'PENDING' })).map((r) => r.target)).toEqual(['dave']);

    // Disabling reduces privilege: one administrator, at once. Enabling again is dual-controlled.
    const disabled = unwrap(await disableOperator(t.ctx, admin, 'bob'));
    expect(disabled.status).toBe('DISABLED');
    const enable = unwrap(await changeOperator(t.ctx, admin, { kind: 'ENABLE', username: 'bob' }));
    expect(enable.request?.state).toBe('PENDING');
    unwrap(await approveOperatorChange(t.ctx, admin2, enable.request!.id));
    expect((await t.db.prisma.operator.findUniqueOrThrow({ where: { username: 'bob' } })).status).toBe('ACTIVE');
    // Two administrators must remain: neither can be disabled now.
    const last = await disableOperator(t.ctx, admin, 'admin2');
    expect(!last.ok && last.error.code).toBe('OPERATOR_LAST_ADMIN');
  });

  it('refuses, in the database, an operator change after the seal that no second administrator approved in its transaction', async () => {
    const bobId = await idOf('bob');
    await refusedSql(`UPDATE operator SET roles = '{ADMIN}' WHERE id = ${bobId}`, 'operator_change_governed');
    await refusedSql(`INSERT INTO operator (username, display_name, password_hash, roles, updated_at) VALUES ('mallory2', 'M', 'x', '{OFFICER}', now())`, 'operator_change_governed');
    // An issuer is withdrawn by two operators.
    const issuer = unwrap(await createInstitution(t.ctx, alice, { kind: 'ISSUER', nameZh: '发卡机构' }));
    await refusedSql(`UPDATE institution SET status = 'WITHDRAWN' WHERE id = ${issuer.id}`, 'institution_withdrawal_dual_control_check');
    await refusedSql(
      `UPDATE institution SET status = 'WITHDRAWN', withdrawal_requested_by_id = ${alice.id}, withdrawal_approved_by_id = ${alice.id} WHERE id = ${issuer.id}`,
      'institution_withdrawal_dual_control_check',
    );
    unwrap(await setInstitutionStatus(t.ctx, alice, { id: issuer.id }, 'WITHDRAWN', 'left'));
    unwrap(await approveWithdrawal(t.ctx, bob, { id: issuer.id }));
    // An approval is spent in its own transaction: naming it again later enables nobody.
    const approvedEnable = await t.db.prisma.operatorChangeRequest.findFirstOrThrow({ where: { kind: 'ENABLE', state: 'APPROVED' } });
    unwrap(await disableOperator(t.ctx, admin, 'bob'));
    await refusedSql(`UPDATE operator SET status = 'ACTIVE', change_request_id = ${approvedEnable.id} WHERE id = ${bobId}`, 'operator_change_governed');
    await refusedSql(`UPDATE operator SET status = 'ACTIVE' WHERE id = ${bobId}`, 'operator_change_governed');
    unwrap(await approveOperatorChange(t.ctx, admin, unwrap(await changeOperator(t.ctx, admin2, { kind: 'ENABLE', username: 'bob' })).request!.id));
    // Requests: the approver is not the requester, an officer decides nothing, decided ones never change.
    const pending = await t.db.prisma.operatorChangeRequest.findFirstOrThrow({ where: { state: 'PENDING' } });
    await refusedSql(`UPDATE operator_change_request SET state = 'APPROVED', decided_by_id = requested_by_id, decided_at = now() WHERE id = ${pending.id}`, 'operator_change_request_dual_control_check');
    await refusedSql(`UPDATE operator_change_request SET state = 'APPROVED', decided_by_id = ${alice.id}, decided_at = now() WHERE id = ${pending.id}`, 'operator_change_request_decider');
    await refusedSql(`UPDATE operator_change_request SET state = 'REJECTED', decided_by_id = ${admin2.id}, decided_at = now(), reason = ' ' WHERE id = ${pending.id}`, 'operator_change_request_reason_check');
    await refusedSql(`UPDATE operator_change_request SET payload = '{"username":"eve","displayName":"E","roles":["ADMIN"]}' WHERE id = ${pending.id}`, 'operator_change_request_decided');
    await refusedSql(`UPDATE operator_change_request SET decided_by_id = ${admin.id} WHERE id = ${approvedEnable.id}`, 'operator_change_request_decided');
    await refusedSql(`DELETE FROM operator_change_request WHERE id = ${approvedEnable.id}`, 'operator_change_request_kept');
    await refusedSql(
      `INSERT INTO operator_change_request (kind, target_id, payload, requested_by_id, requested_at, updated_at) VALUES ('ENABLE', ${bobId}, '{}', ${alice.id}, now(), now())`,
      'operator_change_request_new',
    );
  });

  it('reports from the audit chain: every operator with its creator and approver, each dual-controlled action with its two participants', async () => {
    const report = unwrap(await governanceReport(t.ctx, admin));
    expect(report.violations).toEqual([]);
    expect(report.sealed).toMatchObject({ by: 'admin', operators: ['admin', 'admin2', 'alice', 'bob'] });
    expect(report.operators.find((o) => o.username === 'carol')).toMatchObject({ createdBy: 'admin2', requestedBy: 'admin', roles: ['OFFICER'] });
    expect(report.operators.find((o) => o.username === 'bob')?.history.map((h) => [h.change, h.by, h.requestedBy])).toEqual([
      ['created OFFICER', 'admin', undefined],
      ['disabled', 'admin', undefined],
      ['enabled', 'admin2', 'admin'],
      ['disabled', 'admin', undefined],
      ['enabled', 'admin', 'admin2'],
    ]);
    expect(report.dualControl.map((a) => [a.action, a.participants])).toEqual([
      ['operatorChange', ['admin', 'admin2']],
      ['operatorChange', ['admin', 'admin2']],
      ['institutionWithdrawal', ['alice', 'bob']],
      ['operatorChange', ['admin2', 'admin']],
    ]);
    const officer = await governanceReport(t.ctx, alice);
    expect(!officer.ok && officer.error.code).toBe('OPERATOR_FORBIDDEN');
  });

  it('flags an approval written by SQL without its event, and events that put one person in two roles', async () => {
    const pending = await t.db.prisma.operatorChangeRequest.findFirstOrThrow({ where: { state: 'PENDING' } });
    // The database cannot tell who ran the SQL: an administrator's name forged as approver passes its rules…
    await t.db.prisma.$transaction(async (tx) => {
      await tx.$executeRawUnsafe(`UPDATE operator_change_request SET state = 'APPROVED', decided_by_id = ${admin2.id}, decided_at = now() WHERE id = ${pending.id}`);
      await tx.$executeRawUnsafe(
        `INSERT INTO operator (username, display_name, password_hash, roles, change_request_id, updated_at) VALUES ('dave', 'Dave', 'x', '{AUDITOR}', ${pending.id}, now())`,
      );
    });
    // …and a service that wrote a valid chain naming alice ADMIN+OFFICER is caught by the replay.
    unwrap(
      await transact(t.db.prisma, (tx) =>
        appendAuditEvent(tx, { actor: admin, action: 'operator.rolesChanged', objectType: 'operator', objectId: String(alice.id), details: { username: 'alice', from: ['OFFICER'], to: ['ADMIN', 'OFFICER'] }, time: t.ctx.now() }),
      ),
    );
    const report = unwrap(await governanceReport(t.ctx, admin2));
    expect(report.violations.map((v) => [v.rule, v.operators])).toEqual([
      ['UNAPPROVED_OPERATOR_CHANGE', ['admin']],
      ['SEPARATION_OF_DUTIES', ['alice']],
      ['TABLE_WITHOUT_EVENT', ['alice']],
      ['TABLE_WITHOUT_EVENT', ['dave']],
      ['TABLE_WITHOUT_EVENT', ['admin2']],
    ]);
  });
});
