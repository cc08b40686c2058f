/**
 * Time-driven state: certificates past their MMYY are expired (derived at the instant asked
 * about, never stored; the log records each expiry once, as certificate.expired), with 90/30/7-day
 * warnings to query ahead of it; root keys past their
 * expiry day become EXPIRED; requests left open too long become EXPIRED. Renewal is a new
 * request (new key, number and serial), so nothing here extends anything.
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { expiryDay } from '../codec';
import type { Result } from '../errors';
import { CERTIFICATE_INCLUDE, certificateView, certificateWhere, type CertificateFilter, type CertificateView } from './certificates';
import { calendarDayOf } from './requestLookup';
import { formatIndex } from './rootKeyRules';
import type { CaServices } from './services';
import { transact } from './transaction';
import { DAY_MS } from './validity';

/** Warning tiers, in days before a certificate's validity ends. */
export const EXPIRY_WARNING_DAYS = [90, 30, 7] as const;
export type ExpiryWarningTier = (typeof EXPIRY_WARNING_DAYS)[number];

/** An open request is dropped after this long: its challenge, review and expiry window have gone stale. */
export const REQUEST_LIFETIME_DAYS = 30;

export interface ExpiryWarning {
  readonly certificate: CertificateView;
  /** Whole days left, rounded down. */
  readonly daysLeft: number;
  /** The tightest tier the certificate is inside (7 within a week, 30 within a month, else 90). */
  readonly tier: ExpiryWarningTier;
}

/**
 * Certificates whose validity ends within `withinDays` of `at`, soonest first: the active ones,
 * or those `filter` selects (an issuer; REVOKED ones ending soon; EXPIRED ones never end ahead).
 */
export async function expiringCertificates(
  ca: CaServices,
  at = ca.now(),
  withinDays: number = EXPIRY_WARNING_DAYS[0],
  filter: CertificateFilter = {},
): Promise<ExpiryWarning[]> {
  const rows = await ca.prisma.certificate.findMany({
    where: {
      AND: [certificateWhere({ ...filter, status: filter.status ?? 'ACTIVE' }, at), { expiresAt: { gt: at, lte: new Date(at.getTime() + withinDays * DAY_MS) } }],
    },
    orderBy: [{ expiresAt: 'asc' }, { number: 'asc' }],
    include: CERTIFICATE_INCLUDE,
  });
  return rows.map((row) => {
    const left = (row.expiresAt.getTime() - at.getTime()) / DAY_MS;
    const tier = [...EXPIRY_WARNING_DAYS].reverse().find((days) => left <= days) ?? EXPIRY_WARNING_DAYS[0];
    return { certificate: certificateView(row, at), daysLeft: Math.floor(left), tier };
  });
}

/** PENDING or ACTIVE root keys past their expiry day become EXPIRED (one audited change each). */
export async function expireRootKeys(ca: CaServices, at = ca.now()): Promise<Result<string[]>> {
  return transact(ca.prisma, async (tx) => {
    const live = await tx.$queryRaw<{ id: number; index: number; expires_on: Date }[]>`
      SELECT id, index, expires_on FROM root_key WHERE state IN ('PENDING', 'ANNOUNCED', 'ACTIVE') ORDER BY index FOR UPDATE`;
    const past = live.filter((k) => expiryDay.end(calendarDayOf(k.expires_on)).getTime() < at.getTime());
    for (const key of past) {
      await tx.rootKey.update({ where: { id: key.id }, data: { state: 'EXPIRED' } });
      await appendAuditEvent(tx, {
        actor: SYSTEM_ACTOR,
        action: 'rootKey.expired',
        objectType: 'rootKey',
        objectId: formatIndex(key.index),
        details: { expiresOn: key.expires_on },
        time: at,
      });
    }
    return past.map((k) => formatIndex(k.index));
  });
}

/** SUBMITTED or APPROVED requests older than the lifetime, with no issuance under way, become EXPIRED. */
export async function expireStaleRequests(ca: CaServices, at = ca.now(), lifetimeDays = REQUEST_LIFETIME_DAYS): Promise<Result<number[]>> {
  const cutoff = new Date(at.getTime() - lifetimeDays * DAY_MS);
  return transact(ca.prisma, async (tx) => {
    const stale = await tx.$queryRaw<{ id: number }[]>`
      SELECT r.id FROM certificate_request r
      WHERE r.state IN ('SUBMITTED', 'APPROVED') AND r.submitted_at < ${cutoff}
        AND NOT EXISTS (SELECT 1 FROM certificate_number_allocation a WHERE a.request_id = r.id AND a.state = 'RESERVED')
      ORDER BY r.id FOR UPDATE OF r`;
    for (const { id } of stale) {
      await tx.certificateRequest.update({ where: { id }, data: { state: 'EXPIRED' } });
      await appendAuditEvent(tx, {
        actor: SYSTEM_ACTOR,
        action: 'certificateRequest.expired',
        objectType: 'certificateRequest',
        objectId: String(id),
        details: { lifetimeDays },
        time: at,
      });
    }
    return stale.map((s) => s.id);
  });
}

/**
 * Certificates whose validity ended by `at` get their `certificate.expired` event, once each: the
 * status is derived, so the event is the expiry's only record. Under the chain head's lock, so
 * two processes never record one expiry twice.
 */
export async function recordExpiredCertificates(ca: CaServices, at = ca.now()): Promise<Result<string[]>> {
  return transact(ca.prisma, async (tx) => {
    await tx.$queryRaw`SELECT seq FROM audit_chain_head WHERE id = 1 FOR UPDATE`;
    const ended = await tx.$queryRaw<{ number: bigint; expires_at: Date }[]>`
      SELECT c.number, c.expires_at FROM certificate c
      WHERE c.expires_at <= ${at}
        AND NOT EXISTS (SELECT 1 FROM audit_event e WHERE e.object_type = 'certificate' AND e.object_id = c.number::text AND e.action = 'certificate.expired')
      ORDER BY c.number`;
    for (const c of ended) {
      await appendAuditEvent(tx, {
        actor: SYSTEM_ACTOR,
        action: 'certificate.expired',
        objectType: 'certificate',
        objectId: c.number.toString(),
        details: { expiresAt: c.expires_at },
        time: at,
      });
    }
    return ended.map((c) => c.number.toString());
  });
}

export interface TimeDrivenChanges {
  readonly expiredRootKeys: readonly string[];
  readonly expiredRequests: readonly number[];
  /** certificate numbers whose expiry was recorded in the log now */
  readonly expiredCertificates: readonly string[];
}

/**
 * Every change that time alone makes, each audited: at start-up (what fell due while nothing ran)
 * and on the server's timer (what falls due while it runs), so no state waits for a restart.
 */
export async function applyTimeDrivenChanges(ca: CaServices, at = ca.now()): Promise<Result<TimeDrivenChanges>> {
  const rootKeys = await expireRootKeys(ca, at);
  if (!rootKeys.ok) return rootKeys;
  const requests = await expireStaleRequests(ca, at);
  if (!requests.ok) return requests;
  const certificates = await recordExpiredCertificates(ca, at);
  if (!certificates.ok) return certificates;
  return { ok: true, value: { expiredRootKeys: rootKeys.value, expiredRequests: requests.value, expiredCertificates: certificates.value } };
}
