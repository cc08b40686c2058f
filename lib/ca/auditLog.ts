/**
 * The log's signing side: the audit key (made in the HSM under dual control, like a root key) and
 * signed checkpoints over the Merkle tree the chain head keeps (lib/audit/treeStore.ts).
 *
 * A checkpoint is signed with the chain head locked, so no event lands between reading the tree
 * and storing its checkpoint; it is stored only after the stored leaves prove it consistent with
 * the previous checkpoint, and its signing is audited as the next event (after its size: it is
 * not part of what it signs).
 */
import { toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { err, ok, TqException, unwrap, type Result } from '../errors';
import type { Tx } from '../db/client';
import { appendAuditEvent, normalizeJson, storedTree, unpackTree, SM3_TREE } from '../audit';
import { csvExport, jsonLinesExport, type LogItem } from '../log/export';
import type { LogEntry } from '../log/entry';
import { checkpointText, signCheckpoint } from '../log/checkpoint';
import { consistencyProof, verifyConsistency } from '../log/merkle';
import { encodeVkey, isKeyName, keyId, parseVkey, type NoteSigner } from '../log/note';
import { checkRole, type Operator } from './context';
import type { OperatorRole } from '../db/generated/enums';
import { requireActiveOperator } from './operators';
import type { CaServices } from './services';
import { refuse, transact } from './transaction';
import { cosignatureLines, cosignedNote, listWitnessKeys } from './witnesses';

export interface AuditKeyView {
  readonly origin: string;
  /** X ‖ Y, hex */
  readonly publicKey: string;
  /** the check value: the signed-note key ID, hex */
  readonly keyId: string;
  readonly vkey: string;
}

export interface CeremonyRef {
  readonly id: number;
  readonly origin: string;
  readonly status: string;
}

/** First officer: asks for the log's audit key, to sign checkpoints under `origin`. */
export async function requestAuditKey(ca: CaServices, actor: Operator, origin: string): Promise<Result<CeremonyRef>> {
  const allowed = checkRole(actor, ['OFFICER'], 'request the audit-key ceremony');
  if (!allowed.ok) return allowed;
  if (!isKeyName(origin)) return err('AUDIT_ORIGIN_INVALID', 'the origin is a signed-note key name: printable, no spaces or "+"', { field: 'origin' });
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    await tx.$queryRaw`SELECT id FROM audit_chain_head WHERE id = 1 FOR UPDATE`; // one open ceremony at a time
    if ((await tx.auditKey.count()) > 0 || (await tx.auditKeyCeremony.count({ where: { status: { in: ['PENDING', 'APPROVED'] } } })) > 0) {
      refuse('AUDIT_KEY_EXISTS', 'the log has its audit key, or a ceremony for one is open');
    }
    const ceremony = await tx.auditKeyCeremony.create({ data: { origin, requestedById: actor.id, requestedAt: ca.now() } });
    await appendAuditEvent(tx, { actor, action: 'auditKey.ceremony.requested', objectType: 'auditKeyCeremony', objectId: String(ceremony.id), details: { origin }, time: ca.now() });
    return { id: ceremony.id, origin, status: ceremony.status };
  });
}

/**
 * Second officer: approves, and the HSM generates the key. The key is recorded (and the ceremony
 * executed) in one transaction after generation; if that fails, the new key is destroyed.
 */
export async function approveAuditKey(ca: CaServices, approver: Operator, ceremonyId: number): Promise<Result<AuditKeyView>> {
  const allowed = checkRole(approver, ['OFFICER'], 'approve the audit-key ceremony');
  if (!allowed.ok) return allowed;
  const approved = await transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, approver);
    await tx.$queryRaw`SELECT id FROM audit_key_ceremony WHERE id = ${ceremonyId} FOR UPDATE`;
    const ceremony = await tx.auditKeyCeremony.findUnique({ where: { id: ceremonyId } });
    if (!ceremony) refuse('CEREMONY_UNKNOWN', `no audit-key ceremony ${ceremonyId}`, { field: 'ceremonyId' });
    if (ceremony.status !== 'PENDING') refuse('CEREMONY_STATE', `the ceremony is ${ceremony.status.toLowerCase()}, not pending`, { field: 'ceremonyId' });
    if (ceremony.requestedById === approver.id) refuse('DUAL_CONTROL_SAME_OFFICER', 'the audit-key ceremony is approved by another officer than its requester');
    await tx.auditKeyCeremony.update({ where: { id: ceremonyId }, data: { status: 'APPROVED', approvedById: approver.id } });
    await appendAuditEvent(tx, { actor: approver, action: 'auditKey.ceremony.approved', objectType: 'auditKeyCeremony', objectId: String(ceremonyId), time: ca.now() });
    return ceremony.origin;
  });
  if (!approved.ok) return approved;
  const origin = approved.value;

  const generated = await ca.keys.generateKey({ label: `tqca-audit-${ceremonyId}`, algorithm: 'sm2' });
  if (!generated.ok) return failCeremony(ca, approver, ceremonyId, generated.error.code, generated);
  const key = generated.value;
  const publicKey = unwrap(sm2.publicKeyFromBytes(key.publicKey));
  const id = keyId(origin, 'note', publicKey);
  const vkey = encodeVkey({ name: origin, kind: 'note', publicKey });
  const recorded = await transact(ca.prisma, async (tx) => {
    const now = ca.now();
    await tx.auditKey.create({ data: { origin, hsmKeyLabel: key.label, hsmKeyId: Uint8Array.from(key.id), publicKey: Uint8Array.from(key.publicKey), keyId: Uint8Array.from(id), vkey, ceremonyId, createdAt: now } });
    await tx.auditKeyCeremony.update({ where: { id: ceremonyId }, data: { status: 'EXECUTED', executedAt: now } });
    await appendAuditEvent(tx, {
      actor: approver,
      action: 'auditKey.created',
      objectType: 'auditKey',
      objectId: toHex(id),
      details: { ceremonyId, origin, publicKey: key.publicKey, keyId: id, vkey, hsmKeyLabel: key.label },
      time: now,
    });
  });
  if (!recorded.ok) {
    await ca.keys.destroyKey({ id: key.id });
    return failCeremony(ca, approver, ceremonyId, recorded.error.code, recorded);
  }
  return ok({ origin, publicKey: toHex(key.publicKey), keyId: toHex(id), vkey });
}

async function failCeremony<T>(ca: CaServices, actor: Operator, ceremonyId: number, code: string, failure: Result<T>): Promise<Result<T>> {
  await transact(ca.prisma, async (tx) => {
    await tx.auditKeyCeremony.update({ where: { id: ceremonyId }, data: { status: 'FAILED', failureCode: code, executedAt: ca.now() } });
    await appendAuditEvent(tx, { actor, action: 'auditKey.ceremony.failed', objectType: 'auditKeyCeremony', objectId: String(ceremonyId), details: { failure: code }, time: ca.now() });
  });
  return failure;
}

/** The published audit key: public key, check value and vkey (null before the ceremony). */
export async function getAuditKey(ca: CaServices): Promise<AuditKeyView | null> {
  const k = await ca.prisma.auditKey.findUnique({ where: { id: 1 } });
  return k && { origin: k.origin, publicKey: toHex(k.publicKey), keyId: toHex(k.keyId), vkey: k.vkey };
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Uint8Array;
  readonly note: string;
}

/** The HSM's audit key as the note signer: SM2 with SM3 and the default ID over the note text. */
function hsmSigner(ca: CaServices, key: { origin: string; hsmKeyId: Uint8Array; publicKey: Uint8Array }): NoteSigner {
  return {
    name: key.origin,
    kind: 'note',
    publicKey: unwrap(sm2.publicKeyFromBytes(new Uint8Array(key.publicKey))),
    sign: async (message) => unwrap(await ca.keys.sign({ id: new Uint8Array(key.hsmKeyId) }, message)),
  };
}

/**
 * That the stored tree extends `previous` to a tree of `size` with `root`; refuses otherwise. The
 * proof's hashes come from the stored subtrees; whether those still match the events is the live
 * check's question (logIntegrity.ts), which stops signing when they do not.
 */
async function requireExtends(tx: Tx, previous: { size: bigint; root: Uint8Array } | null, size: number, root: Uint8Array): Promise<void> {
  if (!previous) return;
  const first = Number(previous.size);
  if (first > size) refuse('CHECKPOINT_INCONSISTENT', `the log holds ${size} events, less than the checkpoint at size ${first}`, { details: { size, checkpointSize: first } });
  const proof = await consistencyProof(storedTree(tx), first, size);
  const consistent = proof.ok ? verifyConsistency(SM3_TREE, first, size, proof.value, new Uint8Array(previous.root), root) : proof;
  if (!consistent.ok) {
    refuse('CHECKPOINT_INCONSISTENT', `the log at size ${size} does not extend the checkpoint at size ${first}: ${consistent.error.message}`, {
      details: { size, checkpointSize: first },
    });
  }
}

/**
 * Signs a checkpoint of the whole log now (the operator's, the scheduler's or an export's), unless
 * the last stored checkpoint already covers every event. Returns the checkpoint in force.
 */
export async function signLogCheckpoint(ca: CaServices, actor: Operator | 'system', reason: 'scheduled' | 'operator' | 'export'): Promise<Result<StoredCheckpoint>> {
  if (actor !== 'system') {
    const allowed = checkRole(actor, ['OFFICER', 'ADMIN', 'AUDITOR'], 'sign a log checkpoint');
    if (!allowed.ok) return allowed;
  }
  const key = await ca.prisma.auditKey.findUnique({ where: { id: 1 } });
  if (!key) return err('AUDIT_KEY_MISSING', 'no audit key: run the audit-key ceremony first');
  const signer = hsmSigner(ca, key);
  return transact(ca.prisma, async (tx) => {
    const [head] = await tx.$queryRaw<{ seq: bigint; tree_size: bigint; tree_hashes: Uint8Array }[]>`SELECT seq, tree_size, tree_hashes FROM audit_chain_head WHERE id = 1 FOR UPDATE`;
    const previous = await tx.auditCheckpoint.findFirst({ orderBy: { size: 'desc' } });
    const size = Number(head.tree_size);
    if (head.tree_size !== head.seq) refuse('CHECKPOINT_INCONSISTENT', `the tree holds ${head.tree_size} of ${head.seq} events`);
    if (previous && previous.size === head.tree_size) return { size, root: new Uint8Array(previous.root), note: previous.note };
    const root = unpackTree(head.tree_size, new Uint8Array(head.tree_hashes)).root();
    await requireExtends(tx, previous, size, root);
    const note = unwrap(await signCheckpoint({ origin: key.origin, size, root }, signer));
    const now = ca.now();
    await tx.auditCheckpoint.create({ data: { size: head.tree_size, root: Uint8Array.from(root), note, signedAt: now } });
    await appendAuditEvent(tx, {
      actor,
      action: 'log.checkpointSigned',
      objectType: 'checkpoint',
      objectId: String(size),
      details: { size, root, reason, text: checkpointText({ origin: key.origin, size, root }) },
      time: now,
    });
    return { size, root, note };
  });
}

export interface CheckpointSchedule {
  /** sign when this many events have been appended since the last checkpoint */
  readonly everyEntries: number;
  /** … or when the last one is this old and events were appended since */
  readonly everyMinutes: number;
}

/** Whether the schedule asks for a checkpoint now. */
export async function checkpointDue(ca: CaServices, schedule: CheckpointSchedule): Promise<boolean> {
  const [head, last] = await Promise.all([ca.prisma.auditChainHead.findUniqueOrThrow({ where: { id: 1 } }), ca.prisma.auditCheckpoint.findFirst({ orderBy: { size: 'desc' } })]);
  const pending = head.seq - (last?.size ?? 0n);
  if (pending <= 0n) return false;
  if (pending >= BigInt(schedule.everyEntries) || !last) return true;
  return ca.now().getTime() - last.signedAt.getTime() >= schedule.everyMinutes * 60_000;
}

/** One scheduler tick, for the server's timer: signs when due. */
export async function runCheckpointSchedule(ca: CaServices, schedule: CheckpointSchedule): Promise<Result<StoredCheckpoint | null>> {
  if (!(await checkpointDue(ca, schedule))) return ok(null);
  return signLogCheckpoint(ca, 'system', 'scheduled');
}

export interface LogExport {
  /** the checkpoint signed for this export: the export ends at its size */
  readonly checkpoint: StoredCheckpoint;
  /** the export's text, streamed: events read from the database in batches */
  readonly lines: AsyncGenerator<string, unknown>;
}

const EXPORT_BATCH = 2000;

/** A stored audit event as a log entry; throws (a TqException) on details that are not canonical JSON. */
export function logEntryOf(row: Omit<LogEntry, 'details' | 'prevHash' | 'hash'> & { details: unknown; prevHash: Uint8Array; hash: Uint8Array }): LogEntry {
  const details = normalizeJson(row.details, 'details');
  if (!details.ok) throw new TqException(details.error);
  return { ...row, prevHash: new Uint8Array(row.prevHash), hash: new Uint8Array(row.hash), details: details.value };
}

/** The stored log up to `size` in order, each stored checkpoint (with its stored cosignatures) right after the entry that reaches it. */
async function* storedLogItems(ca: CaServices, size: number): AsyncGenerator<LogItem> {
  const signed = await ca.prisma.auditCheckpoint.findMany({ where: { size: { gt: 0n, lte: BigInt(size) } }, orderBy: { size: 'asc' }, select: { size: true, note: true } });
  const cosignatures = await cosignatureLines(ca, signed.map((c) => c.size));
  const checkpoints = signed.map((c) => ({ size: c.size, note: cosignedNote(c.note, cosignatures.get(c.size) ?? []) }));
  let next = 0;
  for (let from = 0n; from < BigInt(size); ) {
    const rows = await ca.prisma.auditEvent.findMany({ where: { seq: { gt: from, lte: BigInt(size) } }, orderBy: { seq: 'asc' }, take: EXPORT_BATCH });
    if (rows.length === 0) return;
    for (const row of rows) {
      yield { kind: 'entry', entry: logEntryOf(row) };
      while (next < checkpoints.length && checkpoints[next].size === row.seq) yield { kind: 'checkpoint', size: Number(row.seq), note: checkpoints[next++].note };
    }
    from = rows[rows.length - 1].seq;
  }
}

/** Who may export the log: auditors, and officers answering for what the CA signed (not administrators). */
export const EXPORT_ROLES: readonly OperatorRole[] = ['AUDITOR', 'OFFICER'];

/**
 * An export for an auditor or officer: a fresh checkpoint is signed first, the export is audited (after it,
 * so outside what it covers), then the log streams to the checkpoint's size; the JSON Lines
 * writer verifies every line before it is written.
 */
export async function exportLog(ca: CaServices, actor: Operator, options: { format: 'jsonl' | 'csv'; certificatesOnly: boolean }): Promise<Result<LogExport>> {
  const allowed = checkRole(actor, EXPORT_ROLES, 'export the audit log');
  if (!allowed.ok) return allowed;
  const key = await ca.prisma.auditKey.findUnique({ where: { id: 1 } });
  if (!key) return err('AUDIT_KEY_MISSING', 'no audit key: run the audit-key ceremony first');
  const checkpoint = await signLogCheckpoint(ca, actor, 'export');
  if (!checkpoint.ok) return checkpoint;
  const { size } = checkpoint.value;
  const audited = await transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    await appendAuditEvent(tx, { actor, action: 'log.exported', objectType: 'checkpoint', objectId: String(size), details: { size, ...options }, time: ca.now() });
  });
  if (!audited.ok) return audited;
  const items = storedLogItems(ca, size);
  // The header names every registered witness: the writer checks their stored cosignatures as it goes.
  const witnesses = (await listWitnessKeys(ca)).map((k) => unwrap(parseVkey(k.vkey)));
  const lines =
    options.format === 'csv'
      ? csvExport(items, { certificatesOnly: options.certificatesOnly })
      : jsonLinesExport({ origin: key.origin, auditKey: unwrap(sm2.publicKeyFromBytes(new Uint8Array(key.publicKey))), witnesses, items });
  return ok({ checkpoint: checkpoint.value, lines });
}
