/**
 * Export format v1 (JSON Lines, docs/log-format.md §6): one JSON object per line, in this order:
 *
 *   header       {"type":"header","format":"tqca-audit-log","version":1,"origin",…,"auditKey",…}
 *   entry…       every audit event from seq 1, in seq order (entry.ts)
 *   checkpoint   {"type":"checkpoint","size":N,"note":"<signed note>"} right after entry N
 *                (size 0: right after the header); sizes strictly increase
 *   end          {"type":"end","entries":N,"lastHash":"<hex>","root":"<base64>"}
 *
 * The end line makes a cut-off export detectable (it is unsigned: a deliberate truncation that
 * rewrites it is caught only by a later checkpoint, a witness or an older export).
 */
import { toHex } from '../bytes';
import type { Sm2PublicKey } from '../crypto/sm2';
import { ok, type Result } from '../errors';
import { logError } from './errorCodes';
import { encodeVkey, isKeyName, keyId, parseVkey, type NoteKey } from './note';

export const EXPORT_FORMAT = 'tqca-audit-log';
export const EXPORT_VERSION = 1;

export interface HeaderLine {
  readonly type: 'header';
  readonly format: typeof EXPORT_FORMAT;
  readonly version: typeof EXPORT_VERSION;
  readonly origin: string;
  readonly treeHash: 'sm3';
  /** X ‖ Y, 128 hex digits */
  readonly auditKey: string;
  /** The audit key's signed-note key ID (8 hex digits): the check value read out at the key ceremony. */
  readonly auditKeyCheckValue: string;
  readonly auditVkey: string;
  /** The witnesses the log knows of, as vkeys; informative: a verifier trusts only the ones it is given. */
  readonly witnesses: readonly string[];
}

export interface CheckpointLine {
  readonly type: 'checkpoint';
  readonly size: number;
  readonly note: string;
}

export interface EndLine {
  readonly type: 'end';
  readonly entries: number;
  readonly lastHash: string;
  readonly root: string;
}

export const auditNoteKey = (origin: string, publicKey: Sm2PublicKey): NoteKey => ({ name: origin, kind: 'note', publicKey });

export function headerLine(origin: string, auditKey: Sm2PublicKey, witnesses: readonly NoteKey[]): HeaderLine {
  const key = auditNoteKey(origin, auditKey);
  return {
    type: 'header',
    format: EXPORT_FORMAT,
    version: EXPORT_VERSION,
    origin,
    treeHash: 'sm3',
    auditKey: toHex(auditKey.bytes),
    auditKeyCheckValue: toHex(keyId(origin, 'note', auditKey)),
    auditVkey: encodeVkey(key),
    witnesses: witnesses.map(encodeVkey),
  };
}

export interface ParsedHeader {
  readonly origin: string;
  readonly auditKey: NoteKey;
}

/** The header, checked against the audit key the verifier trusts (never the one the file names). */
export function parseHeader(json: Record<string, unknown>, trusted: Sm2PublicKey): Result<ParsedHeader> {
  const bad = (field: string, message: string) => logError('LOG_EXPORT_MALFORMED', message, { field, details: { line: 1 } });
  if (json.type !== 'header' || json.format !== EXPORT_FORMAT) return bad('format', `line 1 is not a ${EXPORT_FORMAT} header`);
  if (json.version !== EXPORT_VERSION) return bad('version', `export format version ${String(json.version)} is not ${EXPORT_VERSION}`);
  if (json.treeHash !== 'sm3') return bad('treeHash', 'the tree hash is not sm3');
  if (typeof json.origin !== 'string' || !isKeyName(json.origin)) return bad('origin', 'the origin is empty or holds a space or plus');
  const key = auditNoteKey(json.origin, trusted);
  if (json.auditKey !== toHex(trusted.bytes)) return bad('auditKey', 'the export names another audit key than the one given');
  if (json.auditKeyCheckValue !== toHex(keyId(json.origin, 'note', trusted))) return bad('auditKeyCheckValue', 'the check value does not match the audit key');
  if (json.auditVkey !== encodeVkey(key)) return bad('auditVkey', 'the vkey does not match the audit key');
  if (!Array.isArray(json.witnesses) || !json.witnesses.every((w) => typeof w === 'string' && parseVkey(w).ok)) return bad('witnesses', 'witnesses is not a list of vkeys');
  return ok({ origin: json.origin, auditKey: key });
}
