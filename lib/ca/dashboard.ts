/**
 * The console's dashboard in one read: counts, what expires when (certificates and root keys, with
 * the 90/30/7-day tiers), the HSM's canary health and what awaits a second officer. Any signed-in
 * role may read it.
 */
import { expiryDay } from '../codec';
import { ok, type Result, type TqError } from '../errors';
import { checkRole, type Operator } from './context';
import { calendarDayOf } from './requestLookup';
import { EXPIRY_WARNING_DAYS, type ExpiryWarningTier } from './expiry';
import { formatIndex } from './rootKeyRules';
import type { CaServices } from './services';
import { DAY_MS } from './validity';
import { formatCertificateNumber } from './certificates';

export interface ExpiringItem {
  readonly kind: 'certificate' | 'rootKey';
  /** Certificate number (8 hex) or root-key index (2 hex). */
  readonly id: string;
  readonly expiresAt: Date;
  readonly daysLeft: number;
  /** The tightest tier the item is inside, or null beyond 90 days. */
  readonly tier: ExpiryWarningTier | null;
}

export interface HsmHealth {
  readonly ok: boolean;
  readonly latencyMs: number | null;
  readonly error: TqError | null;
}

export interface Dashboard {
  readonly at: Date;
  readonly operators: { readonly active: number; readonly disabled: number };
  readonly institutions: Readonly<Record<'ACTIVE' | 'SUSPENDED' | 'WITHDRAWN', number>>;
  readonly rootKeys: Readonly<Record<'PENDING' | 'ACTIVE' | 'RETIRED' | 'EXPIRED', number>>;
  readonly certificates: { readonly active: number; readonly revoked: number; readonly expired: number; readonly expiring: Readonly<Record<ExpiryWarningTier, number>> };
  readonly open: { readonly requestsToReview: number; readonly requestsToIssue: number; readonly ceremonies: number };
  /** Active certificates and usable root keys ending within `horizonDays`, soonest first. */
  readonly expiring: readonly ExpiringItem[];
  readonly horizonDays: number;
  readonly hsm: HsmHealth;
}

const tierOf = (daysLeft: number): ExpiryWarningTier | null => [...EXPIRY_WARNING_DAYS].reverse().find((d) => daysLeft < d) ?? null;

const count = <K extends string>(keys: readonly K[], rows: readonly { key: K; n: number }[]): Record<K, number> =>
  Object.fromEntries(keys.map((k) => [k, rows.find((r) => r.key === k)?.n ?? 0])) as Record<K, number>;

export async function readDashboard(ca: CaServices, actor: Operator, horizonDays = 365): Promise<Result<Dashboard>> {
  const allowed = checkRole(actor, ['ADMIN', 'OFFICER', 'AUDITOR'], 'read the dashboard');
  if (!allowed.ok) return allowed;
  const at = ca.now();
  const horizon = new Date(at.getTime() + horizonDays * DAY_MS);
  const [operators, institutions, rootKeys, active, revoked, expired, toReview, toIssue, ceremonies, certificates, keys] = await Promise.all([
    ca.prisma.operator.groupBy({ by: ['status'], _count: true }),
    ca.prisma.institution.groupBy({ by: ['status'], _count: true }),
    ca.prisma.rootKey.groupBy({ by: ['state'], _count: true }),
    ca.prisma.certificate.count({ where: { status: 'ACTIVE', expiresAt: { gt: at } } }),
    ca.prisma.certificate.count({ where: { status: 'REVOKED' } }),
    ca.prisma.certificate.count({ where: { status: 'ACTIVE', expiresAt: { lte: at } } }),
    ca.prisma.certificateRequest.count({ where: { state: 'SUBMITTED' } }),
    ca.prisma.certificateRequest.count({ where: { state: 'APPROVED' } }),
    ca.prisma.rootKeyCeremony.count({ where: { status: 'PENDING' } }),
    ca.prisma.certificate.findMany({ where: { status: 'ACTIVE', expiresAt: { gt: at, lte: horizon } }, select: { number: true, expiresAt: true } }),
    ca.prisma.rootKey.findMany({ where: { state: { in: ['PENDING', 'ANNOUNCED', 'ACTIVE'] } }, select: { index: true, expiresOn: true } }),
  ]);
  const item = (kind: ExpiringItem['kind'], id: string, expiresAt: Date): ExpiringItem => {
    const daysLeft = Math.floor((expiresAt.getTime() - at.getTime()) / DAY_MS);
    return { kind, id, expiresAt, daysLeft, tier: tierOf(daysLeft) };
  };
  const expiring = [
    ...certificates.map((c) => item('certificate', formatCertificateNumber(c.number), c.expiresAt)),
    ...keys.map((k) => item('rootKey', formatIndex(k.index), expiryDay.end(calendarDayOf(k.expiresOn)))).filter((k) => k.expiresAt > at && k.expiresAt <= horizon),
  ].sort((a, b) => a.expiresAt.getTime() - b.expiresAt.getTime());
  const tiers = Object.fromEntries(EXPIRY_WARNING_DAYS.map((d) => [d, expiring.filter((e) => e.kind === 'certificate' && e.daysLeft < d).length])) as Record<ExpiryWarningTier, number>;
  const status = count(['ACTIVE', 'DISABLED'], operators.map((r) => ({ key: r.status, n: r._count })));
  return ok({
    at,
    operators: { active: status.ACTIVE, disabled: status.DISABLED },
    institutions: count(['ACTIVE', 'SUSPENDED', 'WITHDRAWN'], institutions.map((r) => ({ key: r.status, n: r._count }))),
    rootKeys: count(['PENDING', 'ACTIVE', 'RETIRED', 'EXPIRED'], rootKeys.map((r) => ({ key: r.state, n: r._count }))),
    certificates: { active, revoked, expired, expiring: tiers },
    open: { requestsToReview: toReview, requestsToIssue: toIssue, ceremonies },
    expiring,
    horizonDays,
    hsm: await hsmHealth(ca),
  });
}

async function hsmHealth(ca: CaServices): Promise<HsmHealth> {
  const report = await ca.keys.health();
  if (!report.ok) return { ok: false, latencyMs: null, error: report.error };
  return { ok: true, latencyMs: report.value.canary.latencyMs, error: null };
}
