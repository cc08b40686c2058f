/**
 * What the distribution API serves, read from stored versions (never built per request): the
 * latest manifest, a bundle by version, deltas between stored versions (made once per pair and
 * kept in a small cache: both ends are immutable), the current A4 and the root keys' A2 records.
 */
import type { CaServices } from '../ca';
import { makeDelta, MANIFEST_RECORD_LENGTH, ROOT_KEY_RECORD_LENGTH, rootKeyRecord, type CalendarDay } from '../codec';
import { err, ok, type Result } from '../errors';

export interface LatestManifest {
  readonly version: number;
  readonly manifest: Uint8Array;
  readonly bodySm3: Uint8Array;
  readonly publishedAt: Date;
  readonly expiresAt: Date;
}

export interface BundleSummary extends LatestManifest {
  readonly a2Count: number;
  readonly a3Count: number;
  readonly a4Sequence: number;
  readonly signingRootIndex: number;
  readonly reason: string;
  readonly size: number;
}

/** A root key as the current bundle carries it (§5: A2 records, ascending by index). */
export interface RootRecord {
  readonly index: number;
  /** The 109-byte A2 record, as published. */
  readonly a2: Uint8Array;
  readonly checkValue: Uint8Array;
  readonly expiry: CalendarDay;
  /**
   * What the bundle implies: `active` signs it (the highest-index key clients trust); `announced`
   * is listed above the signer, ahead of use; `retiring` is listed below it, superseded as signer
   * and kept for the certificates issued under it.
   */
  readonly state: 'announced' | 'active' | 'retiring';
}

export interface PublishedRoots {
  /** The bundle version the records are read from. */
  readonly version: number;
  readonly roots: readonly RootRecord[];
}

const notFound = (version: number | null) =>
  err('BUNDLE_NOT_FOUND', version === null ? 'no bundle has been published yet' : `no bundle version ${version} has been published`, {
    field: 'version',
    details: version === null ? {} : { version },
  });

export async function latestManifest(ca: CaServices): Promise<Result<LatestManifest>> {
  const row = await ca.prisma.publishedBundle.findFirst({
    orderBy: { version: 'desc' },
    select: { version: true, manifest: true, bodySm3: true, publishedAt: true, expiresAt: true },
  });
  return row ? ok(row) : notFound(null);
}

export async function bundleByVersion(ca: CaServices, version: number): Promise<Result<Uint8Array>> {
  if (!Number.isSafeInteger(version) || version < 1) return notFound(version);
  const row = await ca.prisma.publishedBundle.findUnique({ where: { version }, select: { bytes: true } });
  return row ? ok(row.bytes) : notFound(version);
}

/** The body SM3 of a published version (what an acknowledgement is checked against); null when never published. */
export async function bodySm3OfVersion(ca: CaServices, version: number): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(version) || version < 1) return null;
  const row = await ca.prisma.publishedBundle.findUnique({ where: { version }, select: { bodySm3: true } });
  return row?.bodySm3 ?? null;
}

export async function listBundles(ca: CaServices): Promise<BundleSummary[]> {
  // changes_from is the publisher's own bookkeeping (a transaction id), not part of what was published.
  const rows = await ca.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' }, omit: { bytes: true, changesFrom: true } });
  const sizes = await ca.prisma.$queryRaw<{ version: number; size: number }[]>`SELECT version, octet_length(bytes) AS size FROM bundle`;
  const size = new Map(sizes.map((s) => [s.version, Number(s.size)]));
  return rows.map((r) => ({ ...r, size: size.get(r.version)! }));
}

const DELTA_CACHE_LIMIT = 64;
/** Per CA database; deltas between immutable versions never go stale, so only the bound evicts (oldest first). */
const deltaCaches = new WeakMap<object, Map<string, Uint8Array>>();

export async function deltaBetween(ca: CaServices, from: number, to: number): Promise<Result<Uint8Array>> {
  let cache = deltaCaches.get(ca.prisma);
  if (!cache) deltaCaches.set(ca.prisma, (cache = new Map()));
  const key = `${from}-${to}`;
  const cached = cache.get(key);
  if (cached) return ok(cached);
  const older = await bundleByVersion(ca, from);
  if (!older.ok) return older;
  const newer = await bundleByVersion(ca, to);
  if (!newer.ok) return newer;
  const delta = makeDelta(older.value, newer.value);
  if (!delta.ok) return delta;
  if (cache.size >= DELTA_CACHE_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(key, delta.value);
  return delta;
}

/** The A4 of the latest bundle. */
export async function currentRevocationList(ca: CaServices): Promise<Result<Uint8Array>> {
  const row = await ca.prisma.publishedBundle.findFirst({ orderBy: { version: 'desc' }, select: { revocationList: { select: { bytes: true } } } });
  return row ? ok(row.revocationList.bytes) : notFound(null);
}

/**
 * The root keys of the latest bundle, read from its stored bytes (only the A2 part is fetched),
 * so what /roots serves is what acquirers' bundles list, never a second opinion of the database.
 */
export async function rootRecords(ca: CaServices): Promise<Result<PublishedRoots>> {
  const [row] = await ca.prisma.$queryRaw<{ version: number; signer: number; a2s: Uint8Array }[]>`
    SELECT version, signing_root_index AS signer, substring(bytes FROM ${MANIFEST_RECORD_LENGTH + 1} FOR a2_count * ${ROOT_KEY_RECORD_LENGTH}) AS a2s
    FROM bundle ORDER BY version DESC LIMIT 1`;
  if (!row) return notFound(null);
  const roots: RootRecord[] = [];
  for (let at = 0; at < row.a2s.length; at += ROOT_KEY_RECORD_LENGTH) {
    const a2 = row.a2s.slice(at, at + ROOT_KEY_RECORD_LENGTH);
    // Stored bundles were verified before they were stored: a record that does not decode is tampering.
    const record = rootKeyRecord.decode(a2);
    if (!record.ok) return err('INTERNAL', `the A2 records of stored bundle ${row.version} do not decode: ${record.error.code}`, { details: { version: row.version } });
    const { rootKeyIndex: index, checkValue, expiry } = record.value;
    roots.push({ index, a2, checkValue, expiry, state: index === row.signer ? 'active' : index > row.signer ? 'announced' : 'retiring' });
  }
  return ok({ version: row.version, roots });
}
