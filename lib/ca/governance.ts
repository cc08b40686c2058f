/**
 * The governance seal: the end of bootstrap. The first administrator alone creates the initial
 * operator set (at least a second administrator and two officers), then seals it; the seal
 * records that set, once, in the database and the audit chain. Before it no root-key ceremony
 * starts; after it every operator change needs two administrators (operatorChanges.ts). No
 * software can stop one person from inventing the bootstrap set: the seal makes it a recorded
 * fact that the organisation's ceremony procedure (identity checks in the room) is audited against.
 */
import { appendAuditEvent } from '../audit';
import type { PrismaClient, Tx } from '../db/client';
import type { Result } from '../errors';
import { checkRole, type Operator, type ServiceContext } from './context';
import { requireActiveOperator } from './operators';
import { rolesConflict } from './separationOfDuties';
import { refuse, transact } from './transaction';

export const SEALED_SET_MINIMUM = { ADMIN: 2, OFFICER: 2 } as const;

export interface SealedOperator {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly string[];
}

export interface SealView {
  readonly sealedAt: Date;
  readonly sealedBy: number;
  readonly operators: readonly SealedOperator[];
}

export async function isSealed(db: Tx | PrismaClient): Promise<boolean> {
  return (await db.governanceSeal.count()) > 0;
}

/** Inside a step: refuses what may only happen after the seal. */
export async function requireSeal(tx: Tx, what: string): Promise<void> {
  if (!(await isSealed(tx))) refuse('GOVERNANCE_NOT_SEALED', `${what} only after the operator set is sealed (tqca governance seal)`);
}

export async function governanceSeal(ctx: ServiceContext): Promise<SealView | null> {
  const row = await ctx.prisma.governanceSeal.findUnique({ where: { id: 1 } });
  return row && { sealedAt: row.sealedAt, sealedBy: row.sealedById, operators: row.operators as unknown as SealedOperator[] };
}

/** Seals the active operator set: two administrators, two officers, separation of duties for all. */
export async function sealGovernance(ctx: ServiceContext, actor: Operator): Promise<Result<SealView>> {
  const allowed = checkRole(actor, ['ADMIN'], 'seal the operator set');
  if (!allowed.ok) return allowed;
  return transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    // Nobody changes the set while it is counted and recorded; a bootstrap change that started
    // first (it holds the request table's lock, operatorChanges.ts) ends before the seal.
    await tx.$executeRaw`LOCK TABLE operator_change_request IN SHARE ROW EXCLUSIVE MODE`;
    await tx.$executeRaw`LOCK TABLE operator IN SHARE ROW EXCLUSIVE MODE`;
    if (await isSealed(tx)) refuse('GOVERNANCE_SEALED', 'the operator set is sealed already');
    const active = await tx.operator.findMany({ where: { status: 'ACTIVE' }, orderBy: { id: 'asc' } });
    const conflicting = active.filter((o) => rolesConflict(o.roles));
    if (conflicting.length > 0) {
      refuse('ROLE_CONFLICT', 'operators break separation of duties; change their roles before sealing', {
        details: { operators: conflicting.map((o) => o.username) },
      });
    }
    const counts = { ADMIN: active.filter((o) => o.roles.includes('ADMIN')).length, OFFICER: active.filter((o) => o.roles.includes('OFFICER')).length };
    if (counts.ADMIN < SEALED_SET_MINIMUM.ADMIN || counts.OFFICER < SEALED_SET_MINIMUM.OFFICER) {
      refuse('GOVERNANCE_SET_INCOMPLETE', 'the sealed set needs at least two active administrators and two active officers', {
        details: { active: counts, minimum: SEALED_SET_MINIMUM },
      });
    }
    const operators: SealedOperator[] = active.map((o) => ({ id: o.id, username: o.username, displayName: o.displayName, roles: o.roles }));
    const now = ctx.now();
    await tx.governanceSeal.create({ data: { id: 1, sealedAt: now, sealedById: actor.id, operators: operators as unknown as object[] } });
    await appendAuditEvent(tx, { actor, action: 'governance.sealed', objectType: 'governance', objectId: 'seal', details: { operators }, time: now });
    return { sealedAt: now, sealedBy: actor.id, operators };
  });
}
