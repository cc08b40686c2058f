/**
 * What the distribution API serves, read from stored versions (never built per request): the
 * latest manifest, a bundle by version, deltas between stored versions (made once per pair and
 * kept in a small cache: both ends are immutable), the current A4 and the root keys' A2 records.
 */
import type { CaServices } from '../ca';
import { makeDelta } from '../codec';
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

export interface RootRecord {
  readonly index: number;
  /** The 109-byte A2 record. */
  readonly a2: Uint8Array;
  readonly checkValue: Uint8Array;
  /** active, retired or expired: pending keys have not been published. */
  readonly state: string;
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
  const rows = await ca.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' }, omit: { bytes: true } });
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

/** Every root key that has been in use, ascending by index, with its A2 record. */
export async function rootRecords(ca: CaServices): Promise<Result<RootRecord[]>> {
  const keys = await ca.prisma.rootKey.findMany({ where: { state: { not: 'PENDING' } }, orderBy: { index: 'asc' } });
  return ok(keys.map((k) => ({ index: k.index, a2: k.a2Record, checkValue: k.checkValue, state: k.state.toLowerCase() })));
}
