/**
 * State against the log: replays the certificate events (issued, revoked) and compares what they
 * say with the certificate table as it stands. A row changed by SQL behind the services (an
 * un-revoke, a forged certificate, a deleted one) verifies as a chain but disagrees here.
 *
 * Covered so far: certificates. Requests, root keys and operators are to follow the same pattern.
 */
import type { CaServices } from './services';
import { checkRole, type Operator } from './context';
import { ok, type Result } from '../errors';

export interface Mismatch {
  readonly objectType: 'certificate';
  readonly objectId: string;
  /** what the log's events say, and what the table holds (null: no such row / no event) */
  readonly log: string | null;
  readonly table: string | null;
}

const BATCH = 5000;

export async function reconcileWithLog(ca: CaServices, actor: Operator): Promise<Result<{ readonly checked: number; readonly mismatches: readonly Mismatch[] }>> {
  const allowed = checkRole(actor, ['AUDITOR', 'ADMIN'], 'reconcile the database with the log');
  if (!allowed.ok) return allowed;
  // Replayed state per certificate number: ACTIVE after issued, REVOKED after revoked.
  const replayed = new Map<string, 'ACTIVE' | 'REVOKED'>();
  for (let from = 0n; ; ) {
    const rows = await ca.prisma.auditEvent.findMany({
      where: { seq: { gt: from }, objectType: 'certificate', action: { in: ['certificate.issued', 'certificate.revoked'] } },
      orderBy: { seq: 'asc' },
      take: BATCH,
      select: { seq: true, action: true, objectId: true },
    });
    for (const e of rows) replayed.set(e.objectId, e.action === 'certificate.issued' ? 'ACTIVE' : 'REVOKED');
    if (rows.length < BATCH) break;
    from = rows[rows.length - 1].seq;
  }
  const mismatches: Mismatch[] = [];
  const seen = new Set<string>();
  for (let from = -1n; ; ) {
    const rows = await ca.prisma.certificate.findMany({ where: { number: { gt: from } }, orderBy: { number: 'asc' }, take: BATCH, select: { number: true, status: true } });
    for (const c of rows) {
      const id = c.number.toString();
      seen.add(id);
      const logged = replayed.get(id) ?? null;
      if (logged !== c.status) mismatches.push({ objectType: 'certificate', objectId: id, log: logged, table: c.status });
    }
    if (rows.length < BATCH) break;
    from = rows[rows.length - 1].number;
  }
  for (const [id, logged] of replayed) if (!seen.has(id)) mismatches.push({ objectType: 'certificate', objectId: id, log: logged, table: null });
  return ok({ checked: seen.size, mismatches });
}
