/**
 * The console's view of the published versions: a page of them newest first with what each
 * changed against its predecessor, one version in detail, when the next expiry-driven
 * publication falls due, and when each root key was first distributed. Read from the stored
 * bytes, decoded with the codec; versions are immutable, so decoded bundles and their changes
 * are kept in small per-database caches.
 */
import type { CaServices } from '../ca';
import { decodeBundle, ROOT_KEY_RECORD_LENGTH, type Bundle } from '../codec';
import { err, ok, type Result } from '../errors';
import { diffBundles, type BundleChange } from './bundleDiff';
import type { PublicationPolicy } from './policy';
import { bundleByVersion, STORED_PARTS, type BundleSummary } from './reads';

export interface BundleRow extends BundleSummary {
  /** Entries in the version's A4. */
  readonly a4Count: number;
  readonly changes: readonly BundleChange[];
}

export interface BundlePage {
  readonly rows: readonly BundleRow[];
  readonly total: number;
  readonly page: number;
  readonly pages: number;
}

export const BUNDLES_PER_PAGE = 20;

const DECODED_LIMIT = 4;
const CHANGES_LIMIT = 256;
const caches = new WeakMap<object, { decoded: Map<number, Bundle>; changes: Map<number, BundleChange[]> }>();

function cacheOf(ca: CaServices) {
  let cache = caches.get(ca.prisma);
  if (!cache) caches.set(ca.prisma, (cache = { decoded: new Map(), changes: new Map() }));
  return cache;
}

function remember<V>(map: Map<number, V>, limit: number, key: number, value: V): V {
  if (map.size >= limit) map.delete(map.keys().next().value!);
  map.set(key, value);
  return value;
}

/** A stored version decoded; `known` (its predecessor, decoded) spares decoding the A3 records they share. */
async function decodedVersion(ca: CaServices, version: number, known?: Bundle): Promise<Result<Bundle>> {
  const cache = cacheOf(ca).decoded;
  const held = cache.get(version);
  if (held) return ok(held);
  const bytes = await bundleByVersion(ca, version);
  if (!bytes.ok) return bytes;
  const decoded = decodeBundle(bytes.value, known);
  // Stored bundles were verified before they were stored: bytes that do not decode are tampering.
  if (!decoded.ok) return err('INTERNAL', `stored bundle ${version} does not decode: ${decoded.error.code}`, { details: { version } });
  return ok(remember(cache, DECODED_LIMIT, version, decoded.value));
}

/** What `version` changed against `version − 1` (against nothing for version 1). */
export async function bundleChanges(ca: CaServices, version: number): Promise<Result<readonly BundleChange[]>> {
  const cache = cacheOf(ca).changes;
  const held = cache.get(version);
  if (held) return ok(held);
  const previous = version > 1 ? await decodedVersion(ca, version - 1) : ok(null);
  if (!previous.ok) return previous;
  const current = await decodedVersion(ca, version, previous.value ?? undefined);
  if (!current.ok) return current;
  return ok(remember(cache, CHANGES_LIMIT, version, diffBundles(previous.value, current.value)));
}

const SUMMARY = { omit: STORED_PARTS, include: { revocationList: { select: { entryCount: true } } } } as const;

type StoredSummary = BundleSummary & { readonly revocationList: { readonly entryCount: number } };

async function rowsOf(ca: CaServices, found: readonly StoredSummary[]): Promise<Result<BundleRow[]>> {
  const rows: BundleRow[] = [];
  // Oldest first, so each decoding can lean on its predecessor decoded just before.
  for (const r of [...found].reverse()) {
    const changes = await bundleChanges(ca, r.version);
    if (!changes.ok) return changes;
    const { revocationList, ...summary } = r;
    rows.unshift({ ...summary, a4Count: revocationList.entryCount, changes: changes.value });
  }
  return ok(rows);
}

/** One page of the published versions, newest first (`page` from 1; past the last page: the last). */
export async function bundlePage(ca: CaServices, page: number, perPage = BUNDLES_PER_PAGE): Promise<Result<BundlePage>> {
  const total = await ca.prisma.publishedBundle.count();
  const pages = Math.max(1, Math.ceil(total / perPage));
  const at = Math.min(Math.max(1, page), pages);
  const found = await ca.prisma.publishedBundle.findMany({ ...SUMMARY, orderBy: { version: 'desc' }, skip: (at - 1) * perPage, take: perPage });
  const rows = await rowsOf(ca, found);
  return rows.ok ? ok({ rows: rows.value, total, page: at, pages }) : rows;
}

/** One version with its changes; BUNDLE_NOT_FOUND when it was never published. */
export async function bundleDetail(ca: CaServices, version: number): Promise<Result<BundleRow>> {
  const row = Number.isSafeInteger(version) && version >= 1 ? await ca.prisma.publishedBundle.findUnique({ ...SUMMARY, where: { version } }) : null;
  if (!row) return err('BUNDLE_NOT_FOUND', `no bundle version ${version} has been published`, { field: 'version', details: { version } });
  const rows = await rowsOf(ca, [row]);
  return rows.ok ? ok(rows.value[0]!) : rows;
}

export type ExpiryTier = 'current' | 'expiring' | 'expired';

export interface PublicationOutlook {
  readonly version: number;
  readonly expiresAt: Date;
  /** When the server's timer replaces the current version even if nothing changes: its expiry less the lead. */
  readonly nextScheduledAt: Date;
  /** `expiring`: within the lead of its expiry (the timer should have replaced it); `expired`: past it. */
  readonly tier: ExpiryTier;
}

/** The current version's expiry and the next scheduled publication; null before the first publication. */
export async function publicationOutlook(ca: CaServices, policy: PublicationPolicy): Promise<PublicationOutlook | null> {
  const latest = await ca.prisma.publishedBundle.findFirst({ orderBy: { version: 'desc' }, select: { version: true, expiresAt: true } });
  if (!latest) return null;
  const now = ca.now().getTime();
  const due = latest.expiresAt.getTime() - policy.leadSeconds * 1000;
  const tier: ExpiryTier = now > latest.expiresAt.getTime() ? 'expired' : now >= due ? 'expiring' : 'current';
  return { version: latest.version, expiresAt: latest.expiresAt, nextScheduledAt: new Date(Math.max(due, now)), tier };
}

export interface RootDistribution {
  readonly version: number;
  readonly publishedAt: Date;
}

/**
 * For each root-key index, the first published version whose A2 records list it (the key's first
 * distribution to acquirers). Only each version's A2 records are read.
 */
export async function rootKeyFirstDistribution(ca: CaServices): Promise<Map<number, RootDistribution>> {
  const rows = await ca.prisma.publishedBundle.findMany({ orderBy: { version: 'asc' }, select: { version: true, publishedAt: true, a2Records: true } });
  const first = new Map<number, RootDistribution>();
  for (const row of rows) {
    // The index is byte 5 of each A2 record (TQ-CERT-1 §4.2).
    for (let at = 0; at < row.a2Records.length; at += ROOT_KEY_RECORD_LENGTH) {
      const index = row.a2Records[at + 5]!;
      if (!first.has(index)) first.set(index, { version: row.version, publishedAt: row.publishedAt });
    }
  }
  return first;
}
