/**
 * What the next bundle lists, read from the CA's state at one instant (§12.2): the A2 records of
 * the active and the announced root keys not expired at the publication time, the A3 records of the certificates
 * issued under them that are neither revoked nor expired, and the entries of the revocation list
 * (every revoked certificate not yet expired).
 *
 * Read in full, or as the predecessor's lists plus what changed since it: the certificate rows
 * written by transactions its snapshot could not see (change_xid at or above its snapshot's xmin,
 * indexed) and those that expired since it was listed (expires_at, indexed). A changed root key,
 * or an A2 set that is not the predecessor's, means a full read: rare, and the A3 set follows the keys.
 */
import { bundleLayout, certificateRecord, expiryDay, positionOf, rootKeyRecord, type Bundle, type CertificateChanges, type RevocationEntry } from '../codec';
import { reasonOf, signDistributionRecord, type CaServices } from '../ca';
import { bytesToUint, samePublicBytes, toHex } from '../bytes';
import { issuerCertificate, MANIFEST_RECORD_LENGTH, ROOT_KEY_RECORD_LENGTH } from '../codec';
import type { Tx } from '../db/client';
import { Prisma, type RevocationReason } from '../db/generated/client';
import { err, type Result } from '../errors';

export interface ListedRootKey {
  readonly index: number;
  readonly hsmKeyId: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly a2: Uint8Array;
  /** Only ACTIVE keys sign; an ANNOUNCED one is listed ahead of use (TQ-CERT-1 §9 rollover). */
  readonly state: 'ACTIVE' | 'ANNOUNCED';
}

export interface PublicationContents {
  /** Ascending by index. */
  readonly rootKeys: readonly ListedRootKey[];
  /** A3 records, ascending by certificate number; or what changed since the predecessor. */
  readonly certificates: readonly Uint8Array[] | CertificateChanges;
  /** Certificate numbers whose A3 this publication signed (issued before A3 records were kept). */
  readonly signedNow: readonly number[];
  readonly revoked: readonly RevocationEntry[];
}

/** The predecessor a publication may start from: decoded, verified, and the snapshot its contents were read at. */
export interface Predecessor {
  readonly bundle: Bundle;
  /** bundle.changes_from: the xmin of that snapshot. */
  readonly changesFrom: bigint;
  /** When its contents were read (bundle.published_at). */
  readonly listedAt: Date;
  /** The certificate rows changed since it (changedRowsColumn, read in the statement that read its row). */
  readonly changed: readonly CertificateRow[];
}

/** A certificate row as listing it needs, with its issuer's code. */
export interface CertificateRow {
  readonly number: bigint;
  readonly status: string;
  readonly serial: number;
  readonly revocationReason: RevocationReason | null;
  readonly rootKeyId: number;
  readonly bytes: Uint8Array;
  readonly a3Record: Uint8Array | null;
  readonly issuedAt: Date;
  readonly expiresAt: Date;
  readonly issuerCode: Uint8Array;
}

/** The certificate rows `where` selects, ascending by number, joined to their issuer (Prisma's relation read is a second round trip). */
const certificateRowsQuery = (where: Prisma.Sql) => Prisma.sql`
    SELECT c.number, c.status::text AS status, c.serial, c.revocation_reason::text AS "revocationReason", c.root_key_id AS "rootKeyId", c.bytes,
           c.a3_record AS "a3Record", c.issued_at AS "issuedAt", c.expires_at AS "expiresAt", i.code AS "issuerCode"
      FROM certificate AS c JOIN institution AS i ON i.id = c.institution_id
     WHERE ${where}
     ORDER BY c.number`;

const certificateRows = (tx: Tx, where: Prisma.Sql): Promise<CertificateRow[]> => tx.$queryRaw<CertificateRow[]>(certificateRowsQuery(where));

/**
 * The rows a version's lists change by — written at or above its snapshot's xmin, or expired since
 * it was listed — for the version whose bundle row the caller's statement names `b`, as one JSON
 * text value: a column of the statement that reads that row (publication's first read), so the
 * changes take no round trip of their own and are read at that statement's snapshot.
 */
export const changedRowsColumn = (at: Date): Prisma.Sql =>
  Prisma.sql`(SELECT coalesce(json_agg(r ORDER BY r.number), '[]'::json)::text
     FROM (${certificateRowsQuery(Prisma.sql`c.change_xid >= b.changes_from OR (c.expires_at > b.published_at AND c.expires_at <= ${at})`)}) AS r)`;

/** The rows of `changedRowsColumn`, as certificateRows gives them. */
export function changedRows(text: string): CertificateRow[] {
  const bytea = (h: string) => fromHex(h.slice(2));
  return (JSON.parse(text) as Record<string, string | number | null>[]).map((r) => ({
    number: BigInt(r.number as number),
    status: r.status as string,
    serial: r.serial as number,
    revocationReason: r.revocationReason as RevocationReason | null,
    rootKeyId: r.rootKeyId as number,
    bytes: bytea(r.bytes as string),
    a3Record: r.a3Record === null ? null : bytea(r.a3Record as string),
    issuedAt: new Date(r.issuedAt as string),
    expiresAt: new Date(r.expiresAt as string),
    issuerCode: bytea(r.issuerCode as string),
  }));
}

const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));

/** A root_key row as listing needs it. */
export interface RootKeyRow {
  readonly id: number;
  readonly index: number;
  readonly hsmKeyId: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly a2Record: Uint8Array;
  readonly state: string;
  readonly changeXid: bigint;
}

/**
 * Every root_key row, ascending by index, as one JSON text value: a column of a statement the
 * caller makes anyway (publication's first read), so the root keys take no round trip of their own.
 */
export const ROOT_KEY_ROWS = Prisma.sql`(SELECT coalesce(json_agg(json_build_object('id', id, 'index', index, 'hsmKeyId', encode(hsm_key_id, 'hex'),
  'publicKey', encode(public_key, 'hex'), 'a2Record', encode(a2_record, 'hex'), 'state', state::text, 'changeXid', change_xid::text) ORDER BY index), '[]'::json)::text FROM root_key)`;

export function rootKeyRows(text: string): RootKeyRow[] {
  return (JSON.parse(text) as { id: number; index: number; hsmKeyId: string; publicKey: string; a2Record: string; state: string; changeXid: string }[]).map((k) => ({
    ...k,
    hsmKeyId: fromHex(k.hsmKeyId),
    publicKey: fromHex(k.publicKey),
    a2Record: fromHex(k.a2Record),
    changeXid: BigInt(k.changeXid),
  }));
}

/** `keyRows`: the root_key rows when the caller read them (ROOT_KEY_ROWS); read here otherwise. */
export async function readContents(tx: Tx, ca: CaServices, at: Date, since?: Predecessor, keyRows?: readonly RootKeyRow[]): Promise<Result<PublicationContents>> {
  const keys = listedKeys(keyRows ?? (await readRootKeyRows(tx)), at);
  if (!keys.ok) return keys;
  const { rootKeys, byId, listedIds } = keys.value;
  if (since && keys.value.lastChange < since.changesFrom && at >= since.listedAt && sameRootKeys(since.bundle, rootKeys)) {
    return listChanges(tx, ca, at, since, keys.value);
  }
  // One statement, one snapshot: read apart, a revocation committing in between would list a
  // certificate both as valid and as revoked (§12.2 check 7), as the two-process test showed.
  const listed = listedIds.length > 0 ? Prisma.sql`c.root_key_id IN (${Prisma.join(listedIds)})` : Prisma.sql`false`;
  const rows = await certificateRows(tx, Prisma.sql`c.expires_at > ${at} AND ((c.status = 'ACTIVE' AND ${listed}) OR c.status = 'REVOKED')`);
  const certificates: Uint8Array[] = [];
  const signedNow: number[] = [];
  const revoked: RevocationEntry[] = [];
  for (const c of rows) {
    if (c.status === 'REVOKED') {
      revoked.push(revocationEntry(c));
    } else {
      const a3 = await distributionRecord(tx, ca, byId, c, signedNow);
      if (!a3.ok) return a3;
      certificates.push(a3.value);
    }
  }
  return { ok: true, value: { rootKeys, certificates, signedNow, revoked } };
}

interface ListedKeys {
  readonly rootKeys: ListedRootKey[];
  /** Database id → listed key, for the active keys the bundle lists. */
  readonly byId: ReadonlyMap<number, ListedRootKey>;
  readonly listedIds: readonly number[];
  /** The highest change_xid of any root key row. */
  readonly lastChange: bigint;
}

async function readRootKeyRows(tx: Tx): Promise<RootKeyRow[]> {
  const [{ rows }] = await tx.$queryRaw<{ rows: string }[]>`SELECT ${ROOT_KEY_ROWS} AS rows`;
  return rootKeyRows(rows);
}

function listedKeys(all: readonly RootKeyRow[], at: Date): Result<ListedKeys> {
  const inBundle = all.filter((k) => k.state === 'ACTIVE' || k.state === 'ANNOUNCED');
  const rootKeys: ListedRootKey[] = [];
  for (const k of inBundle) {
    const a2 = rootKeyRecord.decode(k.a2Record);
    if (!a2.ok) return a2;
    const state = k.state === 'ACTIVE' ? 'ACTIVE' : 'ANNOUNCED';
    if (!expiryDay.isExpired(a2.value.expiry, at)) rootKeys.push({ index: k.index, hsmKeyId: k.hsmKeyId, publicKey: k.publicKey, a2: k.a2Record, state });
  }
  const active = inBundle.filter((k) => k.state === 'ACTIVE');
  const byId = new Map(active.flatMap((k) => rootKeys.filter((r) => r.index === k.index).map((r) => [k.id, r] as const)));
  const lastChange = all.reduce((max, k) => (k.changeXid > max ? k.changeXid : max), 0n);
  return { ok: true, value: { rootKeys, byId, listedIds: [...byId.keys()], lastChange } };
}

/** The predecessor lists exactly these A2 records. */
function sameRootKeys(previous: Bundle, rootKeys: readonly ListedRootKey[]): boolean {
  if (previous.rootKeys.length !== rootKeys.length) return false;
  return rootKeys.every((k, i) => {
    const at = MANIFEST_RECORD_LENGTH + i * ROOT_KEY_RECORD_LENGTH;
    return samePublicBytes(previous.bytes.subarray(at, at + ROOT_KEY_RECORD_LENGTH), k.a2);
  });
}

/**
 * The predecessor's lists with every changed or newly expired certificate set to what it is now:
 * applying a row's current state is idempotent, so a row written by a transaction the predecessor
 * did see (its id above that xmin) is applied again harmlessly.
 */
async function listChanges(tx: Tx, ca: CaServices, at: Date, since: Predecessor, keys: ListedKeys): Promise<Result<PublicationContents>> {
  const previous = since.bundle;
  const layout = bundleLayout(previous.manifest);
  const removed: number[] = [];
  const added: Uint8Array[] = [];
  const signedNow: number[] = [];
  const revoked = new Map(previous.revocationList.entries.map((e) => [e.certificateNumber, e]));
  for (const c of since.changed) {
    const number = Number(c.number);
    revoked.delete(number);
    const live = c.expiresAt > at;
    if (live && c.status === 'REVOKED') revoked.set(number, revocationEntry(c));
    const listed = live && c.status === 'ACTIVE' && keys.byId.has(c.rootKeyId) ? await distributionRecord(tx, ca, keys.byId, c, signedNow) : undefined;
    if (listed && !listed.ok) return listed;
    const i = positionOf(previous.certificates, number);
    const held = i >= 0 ? previous.bytes.subarray(layout.a3(i), layout.a3(i) + certificateRecord.length) : undefined;
    if (held && listed && samePublicBytes(held, listed.value)) continue;
    if (held) removed.push(number);
    if (listed) added.push(listed.value);
  }
  return {
    ok: true,
    value: { rootKeys: keys.rootKeys, certificates: { removed, added }, signedNow, revoked: [...revoked.values()].sort((a, b) => a.certificateNumber - b.certificateNumber) },
  };
}

const revocationEntry = (c: CertificateRow): RevocationEntry => ({
  certificateNumber: Number(c.number),
  issuerId: bytesToUint(c.issuerCode),
  serial: c.serial,
  reason: reasonOf(c.revocationReason!),
});

/** A listed certificate's A3: the stored one, or signed now (noted in signedNow). */
async function distributionRecord(tx: Tx, ca: CaServices, byId: ReadonlyMap<number, ListedRootKey>, c: CertificateRow, signedNow: number[]): Promise<Result<Uint8Array>> {
  if (c.a3Record) return { ok: true, value: c.a3Record };
  const a3 = await backfillDistributionRecord(tx, ca, byId.get(c.rootKeyId)!, c);
  if (a3.ok) signedNow.push(Number(c.number));
  return a3;
}

/** A certificate issued before A3 records were kept gets its record once, here, and keeps it (a trigger forbids replacing it). */
async function backfillDistributionRecord(
  tx: Tx,
  ca: CaServices,
  rootKey: ListedRootKey,
  c: { number: bigint; bytes: Uint8Array; issuedAt: Date; issuerCode: Uint8Array },
): Promise<Result<Uint8Array>> {
  const certificate = issuerCertificate.decode(c.bytes);
  if (!certificate.ok) return err('INTERNAL', `stored certificate ${c.number} does not decode: ${certificate.error.code}`, { details: { bytes: toHex(c.bytes) } });
  const a3 = await signDistributionRecord(ca.keys, rootKey, {
    certificateNumber: Number(c.number),
    issuerId: bytesToUint(c.issuerCode),
    certificate: certificate.value,
    issuedAt: c.issuedAt,
  });
  if (!a3.ok) return a3;
  await tx.certificate.update({ where: { number: c.number }, data: { a3Record: a3.value as Uint8Array<ArrayBuffer> } });
  return a3;
}
