/**
 * The audit log as the console reads it: entries filtered by time, actor, action and object, paged
 * by sequence (keyset: a page costs the same on the first and the millionth entry), one entry with
 * its inclusion proof against the latest checkpoint verified here with lib/log's offline checker,
 * the signed checkpoints with their witnesses' cosignatures, and the export with its known size.
 */
import { sm2 } from '../crypto/sm2';
import { equal, toHex } from '../bytes';
import { err, ok, unwrap, type Result } from '../errors';
import { encodeEvent, eventHash, leafHash, storedTree, SM3_TREE } from '../audit';
import { entryLine } from '../log/entry';
import { inclusionProof } from '../log/merkle';
import { encodeBase64, parseVkey } from '../log/note';
import { checkInclusionProof, formatInclusionProof } from '../log/proof';
import { exportLog, logEntryOf, type LogExport } from './auditLog';
import { checkRole, type Operator, type ServiceContext } from './context';
import type { CaServices } from './services';
import { cosignatureLines, cosignedNote, latestCheckpoint, listWitnessKeys } from './witnesses';

export const AUDIT_PAGE_SIZE = 50;

/** Everyone with a console role reads the log. */
const READERS = ['AUDITOR', 'OFFICER', 'ADMIN'] as const;

export interface AuditFilter {
  /** from this instant on */
  readonly from?: Date;
  /** before this instant */
  readonly to?: Date;
  /** the actor's username as hashed ("system" for the CA itself) */
  readonly actor?: string;
  /** an action, or a prefix ending in "." (e.g. "certificate.") */
  readonly action?: string;
  /** an object type, an object id, or "type:id" */
  readonly object?: string;
}

/** Where a keyset page starts: after a key (newer), else before one (older), else at the newest. */
export interface Cursor {
  readonly before?: bigint;
  readonly after?: bigint;
}

export interface KeysetPage<T> {
  readonly rows: readonly T[];
  /** the cursor of the next older page (`before`), null on the oldest */
  readonly older: string | null;
  /** the cursor of the next newer page (`after`), null on the newest */
  readonly newer: string | null;
}

type Direction = 'older' | 'newer';

/**
 * One page newest first, by `key`: `read` fetches rows beyond a bound in a direction (`take`
 * of them, nearest first); one row more than the page says whether another page follows, one
 * row the other way whether one precedes.
 */
async function keysetPage<T>(cursor: Cursor, limit: number, key: (row: T) => bigint, read: (bound: bigint | null, direction: Direction, take: number) => Promise<T[]>): Promise<KeysetPage<T>> {
  const direction: Direction = cursor.after !== undefined ? 'newer' : 'older';
  const bound = cursor.after ?? cursor.before ?? null;
  const fetched = await read(bound, direction, limit + 1);
  const more = fetched.length > limit;
  const page = fetched.slice(0, limit);
  const rows = direction === 'newer' ? page.reverse() : page;
  if (rows.length === 0) return { rows, older: null, newer: null };
  const newest = key(rows[0]);
  const oldest = key(rows[rows.length - 1]);
  const beyond = async (edge: bigint, d: Direction) => (await read(edge, d, 1)).length > 0;
  const older = direction === 'older' ? more : await beyond(oldest, 'older');
  const newer = direction === 'newer' ? more : bound !== null && (await beyond(newest, 'newer'));
  return { rows, older: older ? String(oldest) : null, newer: newer ? String(newest) : null };
}

export interface AuditEntrySummary {
  readonly seq: string;
  readonly time: Date;
  readonly actor: string;
  readonly action: string;
  readonly objectType: string;
  readonly objectId: string;
}

function objectWhere(object: string | undefined) {
  if (!object) return {};
  const colon = object.indexOf(':');
  if (colon > 0) return { objectType: object.slice(0, colon), objectId: object.slice(colon + 1) };
  return { OR: [{ objectType: object }, { objectId: object }] };
}

/** A page of audit entries matching `filter`, newest first. */
export async function searchAuditEntries(ca: Pick<ServiceContext, 'prisma'>, reader: Operator, filter: AuditFilter, cursor: Cursor = {}, limit = AUDIT_PAGE_SIZE): Promise<Result<KeysetPage<AuditEntrySummary>>> {
  const allowed = checkRole(reader, READERS, 'read the audit log');
  if (!allowed.ok) return allowed;
  const where = {
    ...(filter.from || filter.to ? { time: { ...(filter.from ? { gte: filter.from } : {}), ...(filter.to ? { lt: filter.to } : {}) } } : {}),
    ...(filter.actor ? { actor: filter.actor } : {}),
    ...(filter.action ? { action: filter.action.endsWith('.') ? { startsWith: filter.action } : filter.action } : {}),
    ...objectWhere(filter.object),
  };
  const page = await keysetPage(cursor, limit, (r: { seq: bigint }) => r.seq, (bound, direction, take) =>
    ca.prisma.auditEvent.findMany({
      where: { ...where, ...(bound === null ? {} : { seq: direction === 'older' ? { lt: bound } : { gt: bound } }) },
      orderBy: { seq: direction === 'older' ? 'desc' : 'asc' },
      take,
      select: { seq: true, time: true, actor: true, action: true, objectType: true, objectId: true },
    }),
  );
  return ok({ ...page, rows: page.rows.map((r) => ({ ...r, seq: String(r.seq) })) });
}

export interface InclusionView {
  /** the checkpoint proved against: the latest, with the cosignatures stored so far */
  readonly checkpointSize: number;
  readonly checkpoint: string;
  /** the audit path, base64 hashes as in a tlog-proof */
  readonly path: readonly string[];
  /** the proof as c2sp.org/tlog-proof@v1 text */
  readonly proof: string;
  readonly verified: boolean;
  /** why it did not verify */
  readonly failure?: { readonly code: string; readonly message: string };
}

export interface AuditEntryDetail extends AuditEntrySummary {
  readonly actorId: number | null;
  /** the entry as one line of the JSON Lines export: its canonical form */
  readonly line: string;
  /** the details' canonical JSON (RFC 8785), exactly as hashed */
  readonly details: string;
  readonly prevHash: string;
  readonly hash: string;
  /** the stored hash is SM3 over the event's canonical encoding */
  readonly hashVerified: boolean;
  readonly leafHash: string;
  /** null: no checkpoint covers the entry yet */
  readonly inclusion: InclusionView | null;
}

/**
 * One entry with its inclusion proof against the latest checkpoint, made from the stored tree
 * and checked as an auditor would check it offline: the checkpoint's signature under the audit
 * key, its cosignatures under the registered witness keys, the entry's bytes and the path.
 */
export async function auditEntry(ca: Pick<ServiceContext, 'prisma'>, reader: Operator, seq: bigint): Promise<Result<AuditEntryDetail>> {
  const allowed = checkRole(reader, READERS, 'read the audit log');
  if (!allowed.ok) return allowed;
  const row = await ca.prisma.auditEvent.findUnique({ where: { seq } });
  if (!row) return err('AUDIT_ENTRY_UNKNOWN', `no audit log entry ${seq}`, { field: 'sequence', details: { seq: String(seq) } });
  const entry = logEntryOf(row);
  const bytes = encodeEvent(entry);
  const leaf = leafHash(SM3_TREE, bytes);
  const line = entryLine(entry);
  const [latest, key] = await Promise.all([latestCheckpoint(ca), ca.prisma.auditKey.findUnique({ where: { id: 1 } })]);
  let inclusion: InclusionView | null = null;
  if (latest && key && seq <= BigInt(latest.size)) {
    const index = Number(seq) - 1;
    const hashes = await inclusionProof(storedTree(ca.prisma), index, latest.size);
    const path = hashes.ok ? hashes.value : [];
    const proof = formatInclusionProof({ extra: bytes, index, hashes: path, checkpoint: latest.note });
    const witnesses = (await listWitnessKeys(ca)).map((k) => unwrap(parseVkey(k.vkey)));
    // A proof the stored leaves cannot even make (too few of them) fails like one that does not verify.
    const checked = hashes.ok ? checkInclusionProof(proof, unwrap(sm2.publicKeyFromBytes(new Uint8Array(key.publicKey))), witnesses) : hashes;
    inclusion = {
      checkpointSize: latest.size,
      checkpoint: latest.note,
      path: path.map(encodeBase64),
      proof,
      verified: checked.ok,
      ...(checked.ok ? {} : { failure: { code: checked.error.code, message: checked.error.message } }),
    };
  }
  return ok({
    seq: String(row.seq),
    time: row.time,
    actor: row.actor,
    actorId: row.actorId,
    action: row.action,
    objectType: row.objectType,
    objectId: row.objectId,
    line: JSON.stringify(line),
    details: line.details,
    prevHash: line.prevHash,
    hash: line.hash,
    hashVerified: equal(eventHash(entry), entry.hash),
    leafHash: toHex(leaf),
    inclusion,
  });
}

export interface CosignatureView {
  /** the witness key's name as registered */
  readonly witness: string;
  readonly keyId: string;
  /** the cosignature's own timestamp */
  readonly timestamp: Date;
  readonly receivedAt: Date;
}

export interface CheckpointView {
  readonly size: number;
  readonly root: string;
  readonly signedAt: Date;
  /** the signed note with every stored cosignature line */
  readonly note: string;
  readonly cosignatures: readonly CosignatureView[];
}

/** A page of signed checkpoints, largest first, each with its witnesses' cosignatures. */
export async function listCheckpoints(ca: Pick<ServiceContext, 'prisma'>, reader: Operator, cursor: Cursor = {}, limit = AUDIT_PAGE_SIZE): Promise<Result<KeysetPage<CheckpointView>>> {
  const allowed = checkRole(reader, READERS, 'read the audit log');
  if (!allowed.ok) return allowed;
  const page = await keysetPage(cursor, limit, (c: { size: bigint }) => c.size, (bound, direction, take) =>
    ca.prisma.auditCheckpoint.findMany({
      where: bound === null ? {} : { size: direction === 'older' ? { lt: bound } : { gt: bound } },
      orderBy: { size: direction === 'older' ? 'desc' : 'asc' },
      take,
    }),
  );
  const sizes = page.rows.map((c) => c.size);
  const [rows, keys, lines] = await Promise.all([
    ca.prisma.auditCosignature.findMany({ where: { checkpointSize: { in: sizes } }, orderBy: [{ checkpointSize: 'asc' }, { witnessKeyId: 'asc' }] }),
    listWitnessKeys(ca),
    cosignatureLines(ca, sizes),
  ]);
  const byId = new Map(keys.map((k) => [k.id, k]));
  return ok({
    ...page,
    rows: page.rows.map((c) => ({
      size: Number(c.size),
      root: encodeBase64(c.root),
      signedAt: c.signedAt,
      note: cosignedNote(c.note, lines.get(c.size) ?? []),
      cosignatures: rows
        .filter((s) => s.checkpointSize === c.size)
        .map((s) => ({ witness: byId.get(s.witnessKeyId)?.name ?? `#${s.witnessKeyId}`, keyId: byId.get(s.witnessKeyId)?.keyId ?? '', timestamp: new Date(Number(s.timestamp) * 1000), receivedAt: s.receivedAt })),
    })),
  });
}

export const EXPORT_FORMATS = ['jsonl', 'csv', 'certificates'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export interface SizedExport extends LogExport {
  /** entries the file holds (rows for CSV) */
  readonly entries: number;
  /** lines the file holds, for a progress bar */
  readonly lineCount: number;
}

/**
 * exportLog (a fresh checkpoint, audited, streamed, each JSON line verified before it is sent) in
 * one of the console's three forms, with its size known before the first byte: JSON Lines (what
 * `tqca log export` writes), CSV, or the certificate log as CSV.
 */
export async function sizedExport(ca: CaServices, actor: Operator, format: ExportFormat): Promise<Result<SizedExport>> {
  const exported = await exportLog(ca, actor, { format: format === 'jsonl' ? 'jsonl' : 'csv', certificatesOnly: format === 'certificates' });
  if (!exported.ok) return exported;
  const size = BigInt(exported.value.checkpoint.size);
  if (format === 'jsonl') {
    const checkpoints = await ca.prisma.auditCheckpoint.count({ where: { size: { gt: 0n, lte: size } } });
    return ok({ ...exported.value, entries: Number(size), lineCount: Number(size) + checkpoints + 2 });
  }
  const entries = format === 'certificates' ? await ca.prisma.auditEvent.count({ where: { seq: { lte: size }, objectType: 'certificate' } }) : Number(size);
  return ok({ ...exported.value, entries, lineCount: entries + 1 });
}
