/**
 * Distribution tracking: which acquirer polled and installed which bundle version. Polls arrive in
 * batches from each API process's memory (lib/api/pollCounter.ts: no database write per poll);
 * acknowledgements are written at once, each in its own audited transaction, and one whose body
 * SM3 differs from the published manifest's is stored as an alarm.
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { equal, toHex } from '../bytes';
import { ok, type Result } from '../errors';
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

export interface AcquirerDistribution {
  readonly institutionId: number;
  readonly code: string;
  readonly nameZh: string;
  readonly lastPollAt: Date | null;
  readonly lastPolledVersion: number | null;
  /** Highest version acknowledged with the published body SM3. */
  readonly acknowledgedVersion: number | null;
  readonly acknowledgedAt: Date | null;
  /** Versions behind `latest` (null when nothing is acknowledged). */
  readonly lagVersions: number | null;
  /** Milliseconds since the acknowledgement of the acknowledged version, or null. */
  readonly lagMs: number | null;
  /** Acknowledgements whose body SM3 differed from the published one. */
  readonly alarms: number;
}

export interface DistributionStatus {
  readonly latest: number | null;
  readonly acquirers: readonly AcquirerDistribution[];
  /** With `version`: active acquirers that had not acknowledged it (or a later one) by `by`. */
  readonly missing?: { readonly version: number; readonly by: Date; readonly acquirers: readonly number[] };
}

/**
 * Per active acquirer: last poll, last acknowledged version and the lag against `latest` (the
 * newest published version, from the publication pipeline; null before the first publication).
 */
export async function distributionStatus(
  ctx: ServiceContext,
  options: { latest: number | null; version?: number; by?: Date },
): Promise<Result<DistributionStatus>> {
  const now = ctx.now();
  const by = options.by ?? now;
  const acquirers = await ctx.prisma.institution.findMany({ where: { kind: 'ACQUIRER', status: 'ACTIVE' }, orderBy: { code: 'asc' } });
  const polls = await ctx.prisma.distributionPoll.findMany({ where: { institutionId: { in: acquirers.map((a) => a.id) } } });
  const acks = await ctx.prisma.distributionAcknowledgement.findMany({ where: { institutionId: { in: acquirers.map((a) => a.id) } }, orderBy: { receivedAt: 'asc' } });
  const rows = acquirers.map((a): AcquirerDistribution => {
    const own = polls.filter((p) => p.institutionId === a.id);
    const lastPoll = own.reduce<(typeof own)[number] | null>((best, p) => (best === null || p.lastPollAt > best.lastPollAt ? p : best), null);
    const good = acks.filter((k) => k.institutionId === a.id && k.matches);
    const best = good.reduce<(typeof good)[number] | null>((b, k) => (b === null || k.version > b.version ? k : b), null);
    return {
      institutionId: a.id,
      code: toHex(a.code),
      nameZh: a.nameZh,
      lastPollAt: lastPoll?.lastPollAt ?? null,
      lastPolledVersion: lastPoll?.version ?? null,
      acknowledgedVersion: best?.version ?? null,
      acknowledgedAt: best?.receivedAt ?? null,
      lagVersions: best && options.latest !== null ? Math.max(0, options.latest - best.version) : null,
      lagMs: best ? now.getTime() - best.receivedAt.getTime() : null,
      alarms: acks.filter((k) => k.institutionId === a.id && !k.matches).length,
    };
  });
  const version = options.version;
  const missing =
    version === undefined
      ? undefined
      : {
          version,
          by,
          acquirers: acquirers
            .filter((a) => !acks.some((k) => k.institutionId === a.id && k.matches && k.version >= version && k.receivedAt <= by))
            .map((a) => a.id),
        };
  return ok({ latest: options.latest, acquirers: rows, ...(missing ? { missing } : {}) });
}
