/**
 * Auditors' witnesses over the API: an administrator registers a witness's verifier key for an
 * institution; that institution's WITNESS tokens read the latest checkpoint and consistency
 * proofs, and post cosignatures, each stored only once it verifies under a registered key and is
 * of a checkpoint this CA signed. Exports carry the stored cosignatures in the checkpoint notes.
 */
import { appendAuditEvent, storedTree, SYSTEM_ACTOR } from '../audit';
import { toHex } from '../bytes';
import { err, ok, type Result } from '../errors';
import { consistencyProof } from '../log/merkle';
import { encodeBase64, formatSignatureLine, keyId, parseNote, parseVkey, verifyNote, type NoteKey } from '../log/note';
import { parseCheckpointText } from '../log/checkpoint';
import type { ApiClient } from './apiTokens';
import { checkRole, type Operator, type ServiceContext } from './context';
import { requireActiveOperator } from './operators';
import { refuse, transact } from './transaction';

export interface WitnessKeyView {
  readonly id: number;
  readonly name: string;
  readonly vkey: string;
  readonly keyId: string;
  readonly institutionId: number;
  readonly registeredAt: Date;
}

const witnessView = (k: { id: number; name: string; vkey: string; keyId: Uint8Array; institutionId: number; registeredAt: Date }): WitnessKeyView => ({
  id: k.id,
  name: k.name,
  vkey: k.vkey,
  keyId: toHex(k.keyId),
  institutionId: k.institutionId,
  registeredAt: k.registeredAt,
});

/** Administrator: registers a witness's cosignature vkey for the institution whose WITNESS tokens post for it. */
export async function registerWitnessKey(ca: ServiceContext, actor: Operator, input: { institutionId: number; vkey: string }): Promise<Result<WitnessKeyView>> {
  const allowed = checkRole(actor, ['ADMIN'], 'register a witness key');
  if (!allowed.ok) return allowed;
  const key = parseVkey(input.vkey.trim());
  if (!key.ok) return key;
  if (key.value.kind !== 'cosignature') return err('WITNESS_KEY_KIND', 'a witness key is a cosignature vkey (tqca log witness-keygen prints one)', { field: 'vkey' });
  return transact(ca.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const institution = await tx.institution.findUnique({ where: { id: input.institutionId } });
    if (!institution) refuse('INSTITUTION_NOT_FOUND', `no institution has id ${input.institutionId}`, { field: 'institution' });
    if (await tx.auditWitnessKey.findUnique({ where: { vkey: input.vkey.trim() } })) refuse('WITNESS_KEY_EXISTS', 'this witness key is registered already', { field: 'vkey' });
    const row = await tx.auditWitnessKey.create({
      data: {
        name: key.value.name,
        vkey: input.vkey.trim(),
        keyId: Uint8Array.from(keyId(key.value.name, key.value.kind, key.value.publicKey)),
        institutionId: institution.id,
        registeredById: actor.id,
        registeredAt: ca.now(),
      },
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'log.witnessKeyRegistered',
      objectType: 'witnessKey',
      objectId: String(row.id),
      details: { name: row.name, vkey: row.vkey, institutionId: institution.id },
      time: ca.now(),
    });
    return witnessView(row);
  });
}

export async function listWitnessKeys(ca: Pick<ServiceContext, 'prisma'>): Promise<WitnessKeyView[]> {
  return (await ca.prisma.auditWitnessKey.findMany({ orderBy: { id: 'asc' } })).map(witnessView);
}

/** The stored note of a checkpoint with every stored cosignature line after the audit key's. */
export const cosignedNote = (note: string, lines: readonly string[]): string => note + lines.join('');

/** Stored cosignature lines by checkpoint size, oldest witness key first. */
export async function cosignatureLines(ca: Pick<ServiceContext, 'prisma'>, sizes: readonly bigint[]): Promise<Map<bigint, string[]>> {
  const rows = await ca.prisma.auditCosignature.findMany({ where: { checkpointSize: { in: [...sizes] } }, orderBy: [{ checkpointSize: 'asc' }, { witnessKeyId: 'asc' }] });
  const lines = new Map<bigint, string[]>();
  for (const row of rows) lines.set(row.checkpointSize, [...(lines.get(row.checkpointSize) ?? []), row.line]);
  return lines;
}

export interface LatestCheckpoint {
  readonly size: number;
  /** the signed note with the cosignatures stored so far */
  readonly note: string;
}

/** The newest signed checkpoint, with its cosignatures (null: none signed yet). */
export async function latestCheckpoint(ca: Pick<ServiceContext, 'prisma'>): Promise<LatestCheckpoint | null> {
  const last = await ca.prisma.auditCheckpoint.findFirst({ orderBy: { size: 'desc' } });
  if (!last) return null;
  const lines = (await cosignatureLines(ca, [last.size])).get(last.size) ?? [];
  return { size: Number(last.size), note: cosignedNote(last.note, lines) };
}

/**
 * A consistency proof (RFC 9162 §2.1.4) from tree size `from` to `to`, from the stored leaves;
 * `to` is a signed checkpoint's size (a witness proves what it is asked to cosign).
 */
export async function logConsistencyProof(ca: Pick<ServiceContext, 'prisma'>, from: number, to: number): Promise<Result<{ from: number; to: number; proof: string[] }>> {
  if (!(await ca.prisma.auditCheckpoint.findUnique({ where: { size: BigInt(to) }, select: { size: true } }))) {
    return err('CHECKPOINT_UNKNOWN', `no signed checkpoint has size ${to}`, { field: 'to', details: { to } });
  }
  if (from > to) return err('PROOF_SIZES_INVALID', `from (${from}) is larger than to (${to})`, { field: 'from', details: { from, to } });
  const proof = await consistencyProof(storedTree(ca.prisma), from, to);
  if (!proof.ok) return proof;
  return ok({ from, to, proof: proof.value.map(encodeBase64) });
}

export interface StoredCosignatures {
  readonly size: number;
  /** the witness key names whose cosignatures this post added (already stored ones are not repeated) */
  readonly added: readonly string[];
  readonly note: string;
}

/**
 * A witness's post: `noteText` is the checkpoint note as the CA signed it with the witness's
 * cosignature line(s) added. Stored: each cosignature that verifies under a key registered for the
 * token's institution, of a checkpoint whose text and audit-key signature are the stored ones.
 */
export async function addCosignatures(ca: ServiceContext, client: ApiClient, noteText: string): Promise<Result<StoredCosignatures>> {
  const note = parseNote(noteText, 'note');
  if (!note.ok) return note;
  const body = parseCheckpointText(note.value.text, 'note');
  if (!body.ok) return body;
  const size = BigInt(body.value.size);
  return transact(ca.prisma, async (tx) => {
    const stored = await tx.auditCheckpoint.findUnique({ where: { size } });
    const storedNote = stored && parseNote(stored.note);
    if (!storedNote?.ok || storedNote.value.text !== note.value.text) {
      refuse('CHECKPOINT_UNKNOWN', `this CA signed no checkpoint with this text at size ${size}`, { field: 'note', details: { size: Number(size) } });
    }
    const keys = await tx.auditWitnessKey.findMany({ where: { institutionId: client.institutionId }, orderBy: { id: 'asc' } });
    const noteKeys = new Map<NoteKey, (typeof keys)[number]>();
    for (const k of keys) {
      const parsed = parseVkey(k.vkey);
      if (parsed.ok) noteKeys.set(parsed.value, k);
    }
    const verified = verifyNote(note.value, [...noteKeys.keys()]);
    if (!verified.ok) refuse(verified.error.code, verified.error.message, { field: 'note', details: verified.error.details });
    // Every line the CA does not hold already (its own signature, stored cosignatures) must be a
    // cosignature by one of this institution's witness keys: nothing posted is silently dropped.
    const held = new Set([...storedNote.value.signatures.map(formatSignatureLine), ...(await tx.auditCosignature.findMany({ where: { checkpointSize: size }, select: { line: true } })).map((c) => c.line)]);
    const byKey = [...noteKeys.values()];
    const foreign = note.value.signatures.filter((s) => !held.has(formatSignatureLine(s)) && !byKey.some((k) => k.name === s.name && toHex(k.keyId) === toHex(s.keyId)));
    if (foreign.length > 0 || verified.value.verified.length === 0) {
      refuse('COSIGNATURE_UNVERIFIED', 'a cosignature on the note is not by a witness key registered for this token’s institution', {
        field: 'note',
        details: { names: (foreign.length > 0 ? foreign : note.value.signatures).map((s) => s.name) },
      });
    }
    const existing = new Set((await tx.auditCosignature.findMany({ where: { checkpointSize: size }, select: { witnessKeyId: true } })).map((c) => c.witnessKeyId));
    const added: string[] = [];
    for (const v of verified.value.verified) {
      const row = noteKeys.get(v.key)!;
      if (existing.has(row.id)) continue;
      const signature = note.value.signatures.find((s) => s.name === row.name && toHex(s.keyId) === toHex(row.keyId))!;
      await tx.auditCosignature.create({
        data: { checkpointSize: size, witnessKeyId: row.id, timestamp: v.timestamp ?? 0n, line: formatSignatureLine(signature), tokenId: client.tokenId, receivedAt: ca.now() },
      });
      added.push(row.name);
    }
    if (added.length > 0) {
      await appendAuditEvent(tx, {
        actor: SYSTEM_ACTOR,
        action: 'log.cosigned',
        objectType: 'checkpoint',
        objectId: String(size),
        details: { size: Number(size), witnesses: added, institutionId: client.institutionId, tokenId: client.publicId },
        time: ca.now(),
      });
    }
    const lines = (await tx.auditCosignature.findMany({ where: { checkpointSize: size }, orderBy: { witnessKeyId: 'asc' } })).map((c) => c.line);
    return { size: Number(size), added, note: cosignedNote(stored!.note, lines) };
  });
}
