/**
 * What the distribution API serves, read from stored versions (never built per request): the
 * latest manifest, a bundle by version, deltas between stored versions (made once per pair and
 * kept in a small cache: both ends are immutable), the current A4 and the root keys' A2 records.
 *
 * A version is stored as references to immutable rows (its A3s are the certificates' set-once
 * `a3_record`, its A4 the `revocation_list` row) and reassembled here, by one function, SM3-checked,
 * once per process while it stays in a small cache.
 */
import { concat, samePublicBytes } from '../bytes';
import type { CaServices } from '../ca';
import { A3_CERTIFICATE_NUMBER_OFFSET, bundleLayout, certificateRecord, makeDelta, MANIFEST_RECORD_LENGTH, ROOT_KEY_RECORD_LENGTH, rootKeyRecord, type Bundle, type CalendarDay } from '../codec';
import { sm3 } from '../crypto/sm3';
import type { Tx } from '../db/client';
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
  return storedBundle(ca.prisma, ca.prisma, version);
}

/** Enough of a database client to read: the services' own, or a transaction's. */
type Reader = Pick<Tx, '$queryRaw'>;

const STORED_LIMIT = 6;
/** Per CA database: reassembled versions (immutable), the most recently used last; only the bound evicts. */
const storedVersions = new WeakMap<object, Map<number, Promise<Result<Uint8Array>>>>();

function storedCache(database: object): Map<number, Promise<Result<Uint8Array>>> {
  let cache = storedVersions.get(database);
  if (!cache) storedVersions.set(database, (cache = new Map()));
  return cache;
}

function keep(cache: Map<number, Promise<Result<Uint8Array>>>, version: number, bytes: Promise<Result<Uint8Array>>): void {
  cache.delete(version);
  if (cache.size >= STORED_LIMIT) cache.delete(cache.keys().next().value!);
  cache.set(version, bytes);
}

/**
 * A stored version's bytes: read through `db` (a publication's transaction, or the services'
 * client), cached per `database` (the services' client). BUNDLE_NOT_FOUND when never published,
 * BUNDLE_STORAGE_CORRUPT when its parts no longer give the body it was published with.
 */
export async function storedBundle(db: Reader, database: object, version: number): Promise<Result<Uint8Array>> {
  const cache = storedCache(database);
  const held = cache.get(version);
  if (held) {
    keep(cache, version, held);
    return held;
  }
  const read = reassemble(db, version);
  keep(cache, version, read);
  const bytes = await read;
  // A failed read is not kept: a missing version may be published later, and tampering is reported each time.
  if (!bytes.ok && cache.get(version) === read) cache.delete(version);
  return bytes;
}

/** A version just committed, as built: the latest is the hot one, and its bytes are known. */
export function rememberStoredBundle(database: object, bundle: Bundle): void {
  keep(storedCache(database), bundle.manifest.version, Promise.resolve(ok(bundle.bytes)));
}

/** For tests: the next read of every version reassembles it from the database. */
export function forgetStoredBundles(database: object): void {
  storedVersions.delete(database);
}

/**
 * The A3 set of a version: the listed certificate numbers as runs of consecutive numbers,
 * ascending, 8 bytes each (the first number, the run's length; 4 bytes big-endian each).
 */
export function a3RunsOf(bundle: Bundle): Uint8Array {
  // Read from the bytes (an A3's number is its bytes 2–5), in order: the 10,000 decoded records
  // lie scattered over the heap, and reading a field of each took 3 ms of a publication.
  const { bytes, manifest } = bundle;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const runs: number[] = [];
  for (let i = 0, at = bundleLayout(manifest).a3(0) + A3_CERTIFICATE_NUMBER_OFFSET; i < manifest.a3Count; i++, at += certificateRecord.length) {
    const number = view.getUint32(at);
    if (runs.length > 0 && runs[runs.length - 2] + runs[runs.length - 1] === number) runs[runs.length - 1]++;
    else runs.push(number, 1);
  }
  const packed = new Uint8Array(4 * runs.length);
  const out = new DataView(packed.buffer);
  runs.forEach((n, i) => out.setUint32(4 * i, n));
  return packed;
}

/** The runs `a3RunsOf` packed, as first and last numbers; none if they are not whole runs, ascending and apart. */
function unpackedRuns(packed: Uint8Array): { firsts: number[]; lasts: number[]; count: number } | undefined {
  if (packed.length % 8 !== 0) return undefined;
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  const firsts: number[] = [];
  const lasts: number[] = [];
  let count = 0;
  for (let at = 0; at < packed.length; at += 8) {
    const first = view.getUint32(at);
    const length = view.getUint32(at + 4);
    if (length === 0 || (lasts.length > 0 && first <= lasts[lasts.length - 1] + 1)) return undefined;
    firsts.push(first);
    lasts.push(first + length - 1);
    count += length;
  }
  return { firsts, lasts, count };
}

interface StoredRow {
  manifest: Uint8Array;
  body_sm3: Uint8Array;
  bytes: Uint8Array | null;
  a2_records: Uint8Array;
  a3_runs: Uint8Array | null;
  a4: Uint8Array | null;
}

/**
 * manifest ‖ A2s ‖ the listed certificates' A3 records ‖ the A4 row's bytes (or, for a version
 * published before references, its stored bytes), checked against the body SM3 the row and the
 * manifest (bytes 26–57) hold: what was published, or an error — never other bytes.
 */
async function reassemble(db: Reader, version: number): Promise<Result<Uint8Array>> {
  const [row] = await db.$queryRaw<StoredRow[]>`
    SELECT b.manifest, b.body_sm3, b.bytes, b.a2_records, b.a3_runs, r.bytes AS a4
    FROM bundle b LEFT JOIN revocation_list r ON r.sequence = b.a4_sequence WHERE b.version = ${version}`;
  if (!row) return notFound(version);
  const corrupt = (why: string, details: Record<string, unknown> = {}) =>
    err('BUNDLE_STORAGE_CORRUPT', `stored bundle ${version} does not reassemble: ${why}`, { details: { version, ...details } });
  let bytes: Uint8Array;
  if (row.bytes) {
    bytes = row.bytes;
  } else {
    if (!row.a3_runs || !row.a4) return corrupt(row.a4 ? 'it lists no certificate numbers' : 'its A4 row is missing');
    const runs = unpackedRuns(row.a3_runs);
    if (!runs) return corrupt('its certificate numbers are not runs, ascending and apart');
    const [a3] = await db.$queryRaw<{ records: Uint8Array | null; found: number }[]>`
      SELECT string_agg(c.a3_record, ''::bytea ORDER BY c.number) AS records, count(c.a3_record)::int AS found
      FROM unnest(${runs.firsts}::bigint[], ${runs.lasts}::bigint[]) AS r (first, last) JOIN certificate AS c ON c.number BETWEEN r.first AND r.last`;
    if (a3.found !== runs.count) return corrupt(`${runs.count - a3.found} of its ${runs.count} A3 records are missing`, { listed: runs.count, found: a3.found });
    bytes = concat(row.manifest, row.a2_records, a3.records ?? new Uint8Array(0), row.a4);
  }
  const bodySm3 = sm3(bytes.subarray(MANIFEST_RECORD_LENGTH));
  if (!samePublicBytes(bytes.subarray(0, MANIFEST_RECORD_LENGTH), row.manifest) || !samePublicBytes(bodySm3, row.body_sm3) || !samePublicBytes(row.manifest.subarray(26, 58), row.body_sm3)) {
    return corrupt('its body’s SM3 is not the one it was published with');
  }
  return ok(bytes);
}

/** The body SM3 of a published version (what an acknowledgement is checked against); null when never published. */
export async function bodySm3OfVersion(ca: CaServices, version: number): Promise<Uint8Array | null> {
  if (!Number.isSafeInteger(version) || version < 1) return null;
  const row = await ca.prisma.publishedBundle.findUnique({ where: { version }, select: { bodySm3: true } });
  return row?.bodySm3 ?? null;
}

export async function listBundles(ca: CaServices): Promise<BundleSummary[]> {
  // changes_from is the publisher's own bookkeeping (a transaction id), not part of what was published.
  return ca.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' }, omit: { ...STORED_PARTS, changesFrom: true } });
}

/** The columns a version's bytes are made of: read only by `storedBundle` (and `rootRecords`, the A2s). */
export const STORED_PARTS = { bytes: true, a2Records: true, a3Runs: true } as const;

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
 * The root keys of the latest bundle, read from its stored bytes (SM3-checked, and the hot
 * version in the cache), so what /roots serves is what acquirers' bundles list, never a second
 * opinion of the database.
 */
export async function rootRecords(ca: CaServices): Promise<Result<PublishedRoots>> {
  const latest = await ca.prisma.publishedBundle.findFirst({ orderBy: { version: 'desc' }, select: { version: true, signingRootIndex: true, a2Count: true } });
  if (!latest) return notFound(null);
  const bytes = await storedBundle(ca.prisma, ca.prisma, latest.version);
  if (!bytes.ok) return bytes;
  const row = { version: latest.version, signer: latest.signingRootIndex, a2s: bytes.value.subarray(MANIFEST_RECORD_LENGTH, MANIFEST_RECORD_LENGTH + latest.a2Count * ROOT_KEY_RECORD_LENGTH) };
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
