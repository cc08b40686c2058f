/**
 * Distribution tracking: which acquirer polled and installed which bundle version. Polls arrive in
 * batches from each API process's memory (lib/api/pollCounter.ts: no database write per poll);
 * acknowledgements are written at once, each in its own audited transaction, and one whose body
 * SM3 differs from the published manifest's is stored as an alarm.
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { equal, toHex } from '../bytes';
import { revocationList } from '../codec';
import { err, ok, type Result } from '../errors';
import type { ApiClient } from './apiTokens';
import type { ServiceContext } from './context';
import { refuse, transact } from './transaction';

export interface PollCount {
  readonly institutionId: number;
  readonly version: number;
  readonly served: number;
  readonly notModified: number;
  readonly first: Date;
  readonly last: Date;
}

export interface Acknowledgement {
  readonly version: number;
  /** SM3 of the bundle body as the acquirer computed it (manifest bytes 26–57). */
  readonly bodySm3: Uint8Array;
}

export interface AcknowledgementView {
  readonly id: number;
  readonly version: number;
  readonly bodySm3: string;
  readonly matches: boolean;
  readonly receivedAt: Date;
}

/** Adds one batch of poll counts (one transaction, one upsert per acquirer and version). */
export async function recordPolls(ctx: ServiceContext, batch: readonly PollCount[]): Promise<void> {
  if (batch.length === 0) return;
  await ctx.prisma.$transaction(
    batch.map((p) =>
      ctx.prisma.$executeRaw`
        INSERT INTO distribution_poll (institution_id, version, served, not_modified, first_poll_at, last_poll_at)
        VALUES (${p.institutionId}, ${p.version}, ${p.served}, ${p.notModified}, ${p.first}, ${p.last})
        ON CONFLICT (institution_id, version) DO UPDATE SET
          served = distribution_poll.served + EXCLUDED.served,
          not_modified = distribution_poll.not_modified + EXCLUDED.not_modified,
          first_poll_at = LEAST(distribution_poll.first_poll_at, EXCLUDED.first_poll_at),
          last_poll_at = GREATEST(distribution_poll.last_poll_at, EXCLUDED.last_poll_at)`,
    ),
  );
}

/**
 * Records an acquirer's acknowledgement. `published` is the body SM3 the center published for that
 * version (from the publication pipeline), null when no such version exists.
 */
export async function recordAcknowledgement(
  ctx: ServiceContext,
  client: ApiClient,
  ack: Acknowledgement,
  published: Uint8Array | null,
): Promise<Result<AcknowledgementView>> {
  const now = ctx.now();
  return transact(ctx.prisma, async (tx) => {
    if (published === null) refuse('ACKNOWLEDGED_VERSION_UNKNOWN', `no bundle version ${ack.version} was published`, { field: 'version' });
    const matches = equal(ack.bodySm3, published);
    const row = await tx.distributionAcknowledgement.create({
      data: { institutionId: client.institutionId, tokenId: client.tokenId, version: ack.version, bodySm3: new Uint8Array(ack.bodySm3), matches, receivedAt: now },
    });
    await appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: matches ? 'distribution.acknowledged' : 'distribution.alarm',
      objectType: 'institution',
      objectId: String(client.institutionId),
      details: { token: client.publicId, version: ack.version, bodySm3: ack.bodySm3, ...(matches ? {} : { published, alarm: 'BODY_SM3_MISMATCH' }) },
      time: now,
    });
    return { id: row.id, version: row.version, bodySm3: toHex(row.bodySm3), matches, receivedAt: row.receivedAt };
  });
}

/** What an acquirer's row says at a glance; the first that applies, in this order. */
export type AcquirerStatus = 'mismatch' | 'never' | 'silent' | 'behind' | 'current';

/** When an acquirer is raised as silent or behind (milliseconds). */
export interface DistributionThresholds {
  /** No poll or acknowledgement for longer than this: silent. */
  readonly silentAfterMs: number;
  /** A newer version than the one it acknowledged out for longer than this: behind. */
  readonly behindAfterMs: number;
}

/**
 * The thresholds the publication policy implies: the lead is how long before a bundle's expiry the
 * center publishes its replacement, so an acquirer silent, or still on an older version, for longer
 * than the lead may be holding a bundle that has expired.
 */
export const distributionThresholds = (policy: { readonly leadSeconds: number }): DistributionThresholds => ({
  silentAfterMs: policy.leadSeconds * 1000,
  behindAfterMs: policy.leadSeconds * 1000,
});

export interface AcquirerDistribution {
  readonly institutionId: number;
  readonly code: string;
  readonly nameZh: string;
  readonly nameEn: string | null;
  readonly status: AcquirerStatus;
  readonly lastPollAt: Date | null;
  readonly lastPolledVersion: number | null;
  /** Highest version acknowledged with the published body SM3. */
  readonly acknowledgedVersion: number | null;
  readonly acknowledgedAt: Date | null;
  /** Versions behind the current one (all of them when nothing is acknowledged); null before the first publication. */
  readonly lagVersions: number | null;
  /** How long a newer version than the acknowledged one has been out (0 when current); null before the first publication. */
  readonly lagMs: number | null;
  /** Acknowledgements whose body SM3 differed from the published one. */
  readonly alarms: number;
}

export interface UnacknowledgedAcquirer {
  readonly institutionId: number;
  readonly code: string;
  readonly nameZh: string;
  readonly nameEn: string | null;
}

export interface DistributionStatus {
  /** The current (newest published) version; null before the first publication. */
  readonly latest: { readonly version: number; readonly publishedAt: Date } | null;
  readonly thresholds: DistributionThresholds;
  /** One page of the active acquirers, by code. */
  readonly acquirers: readonly AcquirerDistribution[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
  /** With `version`: every active acquirer that had not acknowledged it (or a later one) by `by`. */
  readonly missing?: { readonly version: number; readonly by: Date; readonly acquirers: readonly UnacknowledgedAcquirer[] };
}

export interface DistributionQuery {
  readonly thresholds: DistributionThresholds;
  /** Who had not acknowledged this version (or a later one) by `by` (default: now). */
  readonly version?: number;
  readonly by?: Date;
  /** 1-based; with `pageSize`. Without a page size every acquirer is one page. */
  readonly page?: number;
  readonly pageSize?: number;
}

/** The row's status from its facts: the alarm kinds, worst first. */
function acquirerStatus(
  facts: { lastContact: Date | null; unresolvedMismatch: boolean; lagVersions: number | null; lagMs: number | null },
  thresholds: DistributionThresholds,
  now: Date,
): AcquirerStatus {
  if (facts.unresolvedMismatch) return 'mismatch';
  if (facts.lastContact === null) return 'never';
  if (now.getTime() - facts.lastContact.getTime() > thresholds.silentAfterMs) return 'silent';
  if ((facts.lagVersions ?? 0) > 0 && (facts.lagMs ?? 0) > thresholds.behindAfterMs) return 'behind';
  return 'current';
}

/**
 * Per active acquirer (one page, by code): its status, last poll, last acknowledged version and the
 * lag against the current version, in versions and in time. A mismatch counts until the acquirer
 * acknowledges that version or a later one with the published body SM3. Contact is a poll or an
 * acknowledgement: polls reach the database in batches, an acknowledgement at once.
 */
export async function distributionStatus(ctx: ServiceContext, query: DistributionQuery): Promise<Result<DistributionStatus>> {
  const now = ctx.now();
  const by = query.by ?? now;
  const latest = await ctx.prisma.publishedBundle.findFirst({ orderBy: { version: 'desc' }, select: { version: true, publishedAt: true } });
  const version = query.version;
  if (version !== undefined && (latest === null || version < 1 || version > latest.version)) {
    return err('BUNDLE_NOT_FOUND', `no bundle version ${version} has been published`, { field: 'version', details: { version } });
  }
  const active = { kind: 'ACQUIRER', status: 'ACTIVE' } as const;
  const total = await ctx.prisma.institution.count({ where: active });
  const pageSize = query.pageSize ?? Math.max(1, total);
  const pages = Math.max(1, Math.ceil(total / pageSize));
  const page = Math.min(query.page ?? 1, pages);
  const acquirers = await ctx.prisma.institution.findMany({ where: active, orderBy: { code: 'asc' }, skip: (page - 1) * pageSize, take: pageSize });
  const ids = acquirers.map((a) => a.id);
  const polls = await ctx.prisma.distributionPoll.findMany({ where: { institutionId: { in: ids } } });
  const acks = await ctx.prisma.distributionAcknowledgement.findMany({ where: { institutionId: { in: ids } }, orderBy: { receivedAt: 'asc' } });
  const facts = acquirers.map((a) => {
    const own = polls.filter((p) => p.institutionId === a.id);
    const lastPoll = own.reduce<(typeof own)[number] | null>((best, p) => (best === null || p.lastPollAt > best.lastPollAt ? p : best), null);
    const ownAcks = acks.filter((k) => k.institutionId === a.id);
    const best = ownAcks.filter((k) => k.matches).reduce<(typeof ownAcks)[number] | null>((b, k) => (b === null || k.version > b.version ? k : b), null);
    return { a, lastPoll, ownAcks, best };
  });
  // The lag in time runs from the publication of the first version the acquirer does not have.
  const firstMissing = [...new Set(facts.map((f) => (f.best?.version ?? 0) + 1))].filter((v) => latest !== null && v <= latest.version);
  const publishedAt = new Map(
    (await ctx.prisma.publishedBundle.findMany({ where: { version: { in: firstMissing } }, select: { version: true, publishedAt: true } })).map((b) => [b.version, b.publishedAt]),
  );
  const rows = facts.map(({ a, lastPoll, ownAcks, best }): AcquirerDistribution => {
    const acknowledged = best?.version ?? 0;
    const lagVersions = latest ? Math.max(0, latest.version - acknowledged) : null;
    const behindSince = publishedAt.get(acknowledged + 1);
    const lagMs = latest === null ? null : behindSince ? Math.max(0, now.getTime() - behindSince.getTime()) : 0;
    const lastAck = ownAcks.at(-1)?.receivedAt ?? null;
    const lastContact = [lastPoll?.lastPollAt ?? null, lastAck].reduce<Date | null>((m, d) => (d !== null && (m === null || d > m) ? d : m), null);
    const unresolvedMismatch = ownAcks.some((k) => !k.matches && k.version > acknowledged);
    return {
      institutionId: a.id,
      code: toHex(a.code),
      nameZh: a.nameZh,
      nameEn: a.nameEn,
      status: acquirerStatus({ lastContact, unresolvedMismatch, lagVersions, lagMs }, query.thresholds, now),
      lastPollAt: lastPoll?.lastPollAt ?? null,
      lastPolledVersion: lastPoll?.version ?? null,
      acknowledgedVersion: best?.version ?? null,
      acknowledgedAt: best?.receivedAt ?? null,
      lagVersions,
      lagMs,
      alarms: ownAcks.filter((k) => !k.matches).length,
    };
  });
  const missing =
    version === undefined
      ? undefined
      : {
          version,
          by,
          acquirers: (
            await ctx.prisma.institution.findMany({
              where: { ...active, acknowledgements: { none: { matches: true, version: { gte: version }, receivedAt: { lte: by } } } },
              orderBy: { code: 'asc' },
              select: { id: true, code: true, nameZh: true, nameEn: true },
            })
          ).map((a) => ({ institutionId: a.id, code: toHex(a.code), nameZh: a.nameZh, nameEn: a.nameEn })),
        };
  return ok({ latest, thresholds: query.thresholds, acquirers: rows, total, page, pages, ...(missing ? { missing } : {}) });
}

/** One revocation on its way to the acquirers. */
export interface RevocationPropagation {
  /** 8 hex, as the certificate carries it. */
  readonly certificateNumber: string;
  readonly revokedAt: Date;
  /** The first published version whose A4 lists the certificate; null until one has. */
  readonly firstVersion: number | null;
  readonly firstPublishedAt: Date | null;
  /** Per active acquirer: when it first acknowledged (with the published body SM3) that version or a later one. */
  readonly acknowledged: readonly { readonly institutionId: number; readonly code: string; readonly at: Date }[];
  /** Active acquirers that have not acknowledged such a version yet (their codes). */
  readonly pending: readonly string[];
  /** When the last active acquirer acknowledged it; null while any is pending. */
  readonly completedAt: Date | null;
  /** completedAt − revokedAt, in milliseconds: the revocation's propagation time. */
  readonly propagationMs: number | null;
}

/** A revocation's propagation time in whole seconds (as the console and the CLI show it); null while pending. */
export const propagationSeconds = (r: Pick<RevocationPropagation, 'propagationMs'>): number | null => (r.propagationMs === null ? null : Math.round(r.propagationMs / 1000));

/** Publications that started before a revocation committed are read as far back as this before it (their time is taken before the lock). */
const PUBLICATION_CLOCK_MARGIN_MS = 60_000;

/**
 * For each revocation since `since` (the newest `limit`, newest first): the first version that
 * carries it, and the time until every active acquirer acknowledged that version or a later one.
 * "Carries" is read from the published A4 itself, not inferred from times: a publication that read
 * the certificates just before the revocation committed does not list it, whatever its timestamp.
 */
export async function revocationPropagation(ctx: ServiceContext, options: { since?: Date; limit?: number } = {}): Promise<Result<RevocationPropagation[]>> {
  const revoked = await ctx.prisma.certificate.findMany({
    where: { status: 'REVOKED', revokedAt: { not: null, ...(options.since ? { gte: options.since } : {}) } },
    orderBy: [{ revokedAt: 'desc' }, { number: 'desc' }],
    take: options.limit ?? 100,
    select: { number: true, revokedAt: true },
  });
  if (revoked.length === 0) return ok([]);
  const earliest = Math.min(...revoked.map((c) => c.revokedAt!.getTime()));
  const bundles = await ctx.prisma.publishedBundle.findMany({
    where: { publishedAt: { gte: new Date(earliest - PUBLICATION_CLOCK_MARGIN_MS) } },
    orderBy: { version: 'asc' },
    select: { version: true, publishedAt: true, a4Sequence: true },
  });
  const lists = await ctx.prisma.revocationListIssue.findMany({ where: { sequence: { in: [...new Set(bundles.map((b) => b.a4Sequence))] } }, select: { sequence: true, bytes: true } });
  const listed = new Map<number, Set<number>>();
  for (const list of lists) {
    const decoded = revocationList.decode(list.bytes);
    // A stored A4 that does not decode is tampered storage: report it, never guess around it.
    if (!decoded.ok) return err('STORED_REVOCATION_LIST_CORRUPT', `stored A4 sequence ${list.sequence} does not decode: ${decoded.error.message}`, { details: { sequence: list.sequence, cause: decoded.error.code } });
    listed.set(list.sequence, new Set(decoded.value.entries.map((e) => e.certificateNumber)));
  }
  const acquirers = await ctx.prisma.institution.findMany({ where: { kind: 'ACQUIRER', status: 'ACTIVE' }, orderBy: { code: 'asc' }, select: { id: true, code: true } });
  const firstVersion = bundles[0]?.version ?? 0;
  const acks = await ctx.prisma.distributionAcknowledgement.findMany({
    where: { matches: true, version: { gte: firstVersion }, institutionId: { in: acquirers.map((a) => a.id) } },
    orderBy: { receivedAt: 'asc' },
    select: { institutionId: true, version: true, receivedAt: true },
  });
  return ok(
    revoked.map((c): RevocationPropagation => {
      const number = Number(c.number);
      const first = bundles.find((b) => listed.get(b.a4Sequence)?.has(number)) ?? null;
      const acknowledged = first
        ? acquirers.flatMap((a) => {
            const ack = acks.find((k) => k.institutionId === a.id && k.version >= first.version);
            return ack ? [{ institutionId: a.id, code: toHex(a.code), at: ack.receivedAt }] : [];
          })
        : [];
      const pending = acquirers.filter((a) => !acknowledged.some((k) => k.institutionId === a.id)).map((a) => toHex(a.code));
      const completedAt = first && pending.length === 0 ? new Date(Math.max(first.publishedAt.getTime(), ...acknowledged.map((k) => k.at.getTime()))) : null;
      return {
        certificateNumber: number.toString(16).padStart(8, '0'),
        revokedAt: c.revokedAt!,
        firstVersion: first?.version ?? null,
        firstPublishedAt: first?.publishedAt ?? null,
        acknowledged,
        pending,
        completedAt,
        propagationMs: completedAt ? completedAt.getTime() - c.revokedAt!.getTime() : null,
      };
    }),
  );
}
