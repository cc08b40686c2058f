/**
 * C2SP signed notes (c2sp.org/signed-note) with SM2 signatures, and their verifier keys.
 *
 * A note is UTF-8 text ending in a newline, a blank line, then lines `— <name> <base64(keyID ‖ sig)>`.
 * Signed-note assigns no SM2 type, so both our kinds use type byte 0xff followed by an identifier
 * (as the spec recommends for 0xff) that ends in a newline, so no identifier is a prefix of another:
 *
 *   log signature   type = 0xff ‖ "tqca/sm2-sm3-note@v1\n"          sig = r ‖ s (64 bytes)
 *                   over the note text (SM2 with SM3, signer ID 1234567812345678)
 *   cosignature     type = 0xff ‖ "tqca/sm2-sm3-cosignature@v1\n"   sig = u64 BE timestamp ‖ r ‖ s (72)
 *                   over "cosignature/v1\ntime <timestamp>\n" ‖ note text (as c2sp.org/tlog-cosignature)
 *
 *   key ID = SHA-256(name ‖ 0x0A ‖ type ‖ X ‖ Y)[:4]        vkey = <name>+<key ID hex>+<base64(type ‖ X ‖ Y)>
 *
 * Verification follows the spec: a signature whose name and key ID do not both match a known key
 * is ignored; a known key's signature must verify, else the whole note is refused; the same known
 * key twice is refused as well (one key, one vote towards a quorum).
 */
import { createHash } from 'node:crypto';
import { concat, equal, toHex } from '../bytes';
import { reusedKeyVerifiers, verifyWith } from '../crypto/reusedKeys';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { ok, type Result } from '../errors';
import { logError } from './errorCodes';

export type NoteKeyKind = 'note' | 'cosignature';

const utf8 = new TextEncoder();
const TYPE_BYTES: Readonly<Record<NoteKeyKind, Uint8Array>> = {
  note: concat(Uint8Array.of(0xff), utf8.encode('tqca/sm2-sm3-note@v1\n')),
  cosignature: concat(Uint8Array.of(0xff), utf8.encode('tqca/sm2-sm3-cosignature@v1\n')),
};
const SIGNATURE_LENGTH: Readonly<Record<NoteKeyKind, number>> = { note: 64, cosignature: 72 };
const EM_DASH = '\u2014';
/** Well above signed-note's floor of 16; bounds the work a hostile note can cause. */
const MAX_SIGNATURES = 64;
const KEY_NAME = /^[^\s+]+$/u;

export function noteTypeBytes(kind: NoteKeyKind): Uint8Array {
  return TYPE_BYTES[kind];
}

export function keyId(name: string, kind: NoteKeyKind, publicKey: Sm2PublicKey): Uint8Array {
  return new Uint8Array(createHash('sha256').update(utf8.encode(name)).update(Uint8Array.of(0x0a)).update(TYPE_BYTES[kind]).update(publicKey.bytes).digest()).subarray(0, 4);
}

/** A key known to a verifier: its name, kind and public key (the key ID follows from them). */
export interface NoteKey {
  readonly name: string;
  readonly kind: NoteKeyKind;
  readonly publicKey: Sm2PublicKey;
}

export function isKeyName(name: string): boolean {
  return KEY_NAME.test(name);
}

export function encodeVkey(key: NoteKey): string {
  return `${key.name}+${toHex(keyId(key.name, key.kind, key.publicKey))}+${Buffer.from(concat(TYPE_BYTES[key.kind], key.publicKey.bytes)).toString('base64')}`;
}

export function parseVkey(text: string, field = 'vkey'): Result<NoteKey> {
  const bad = (message: string) => logError('LOG_VKEY_INVALID', message, { field });
  // The name holds no plus; the base64 key may.
  const m = /^([^+]*)\+([0-9a-f]{8})\+(.*)$/.exec(text.trim());
  if (!m) return bad('a vkey is <name>+<key ID, 8 hex digits>+<base64 key>');
  const [, name, idHex, keyText] = m;
  if (!isKeyName(name)) return bad('the key name is empty or holds a space');
  const material = decodeBase64(keyText);
  if (!material) return bad('the key is not canonical base64');
  const kind = (Object.keys(TYPE_BYTES) as NoteKeyKind[]).find((k) => material.length === TYPE_BYTES[k].length + 64 && equal(material.subarray(0, TYPE_BYTES[k].length), TYPE_BYTES[k]));
  if (!kind) return bad('the key is not of type 0xff tqca/sm2-sm3-note@v1 or tqca/sm2-sm3-cosignature@v1 with a 64-byte X ‖ Y');
  const publicKey = sm2.publicKeyFromBytes(material.subarray(material.length - 64), field);
  if (!publicKey.ok) return publicKey;
  if (idHex !== toHex(keyId(name, kind, publicKey.value))) return bad('the key ID does not match the name and key');
  return ok({ name, kind, publicKey: publicKey.value });
}

/** Standard base64 (RFC 4648 §4) that re-encodes to itself: one text per byte string. */
export function decodeBase64(text: string): Uint8Array | undefined {
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) return undefined;
  const bytes = new Uint8Array(Buffer.from(text, 'base64'));
  return Buffer.from(bytes).toString('base64') === text ? bytes : undefined;
}

export const encodeBase64 = (bytes: Uint8Array): string => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');

export interface NoteSignature {
  readonly name: string;
  readonly keyId: Uint8Array;
  /** After the key ID. */
  readonly signature: Uint8Array;
}

export interface SignedNote {
  /** The signed text, ending in a newline. */
  readonly text: string;
  readonly signatures: readonly NoteSignature[];
}

export function formatSignatureLine(s: NoteSignature): string {
  return `${EM_DASH} ${s.name} ${encodeBase64(concat(s.keyId, s.signature))}\n`;
}

export function formatNote(note: SignedNote): string {
  return `${note.text}\n${note.signatures.map(formatSignatureLine).join('')}`;
}

const FORBIDDEN_CONTROL = /[\u0000-\u0009\u000b-\u001f]/;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** `text` is the note as decoded from strict UTF-8 (files: TextDecoder with fatal) or from JSON. */
export function parseNote(text: string, field = 'note'): Result<SignedNote> {
  const bad = (message: string) => logError('LOG_NOTE_MALFORMED', message, { field });
  if (LONE_SURROGATE.test(text)) return bad('the note is not Unicode text (a lone surrogate)');
  if (FORBIDDEN_CONTROL.test(text)) return bad('the note holds a control character other than newline');
  if (!text.endsWith('\n')) return bad('the note does not end in a newline');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) return bad('no blank line separates the text from the signatures');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return bad(`more than ${MAX_SIGNATURES} signatures`);
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    const m = /^\u2014 ([^ ]+) ([^ ]+)$/u.exec(line);
    if (!m || !isKeyName(m[1])) return bad(`not a signature line: ${JSON.stringify(line.slice(0, 80))}`);
    const bytes = decodeBase64(m[2]);
    if (!bytes || bytes.length < 5) return bad(`the signature of ${m[1]} is not base64 of a key ID and a signature`);
    signatures.push({ name: m[1], keyId: bytes.subarray(0, 4), signature: bytes.subarray(4) });
  }
  return ok({ text: body, signatures });
}

/** What an HSM (or a software key) provides: SM2 with SM3 and the default signer ID, r ‖ s out. */
export type Sm2SignFunction = (message: Uint8Array) => Promise<Uint8Array>;

export interface NoteSigner extends NoteKey {
  readonly sign: Sm2SignFunction;
}

/** A software signer, for witnesses and tests (the CA's audit key lives in the HSM). */
export function softwareSigner(name: string, kind: NoteKeyKind, privateKey: Uint8Array): NoteSigner {
  return { name, kind, publicKey: sm2.publicKeyFromPrivate(privateKey), sign: async (message) => sm2.sign(message, privateKey) };
}

const COSIGNATURE_HEADER = 'cosignature/v1\n';

export function cosignedMessage(text: string, timestamp: bigint): Uint8Array {
  return utf8.encode(`${COSIGNATURE_HEADER}time ${timestamp}\n${text}`);
}

/** Signs `text`; a cosigner adds its timestamp (POSIX seconds). The signature is checked before it is returned. */
export async function signNote(text: string, signer: NoteSigner, timestamp?: bigint): Promise<Result<NoteSignature>> {
  const id = keyId(signer.name, signer.kind, signer.publicKey);
  let signature: Uint8Array;
  if (signer.kind === 'note') {
    signature = await signer.sign(utf8.encode(text));
  } else {
    const t = timestamp ?? 0n;
    if (t < 0n || t > 2n ** 63n - 1n) return logError('LOG_NOTE_MALFORMED', 'a cosignature timestamp is 0 … 2^63 - 1', { field: 'timestamp' });
    const stamp = new Uint8Array(8);
    new DataView(stamp.buffer).setBigUint64(0, t);
    signature = concat(stamp, await signer.sign(cosignedMessage(text, t)));
  }
  const line = { name: signer.name, keyId: id, signature };
  const verified = verifySignature(text, line, signer);
  return verified.ok ? ok(line) : verified;
}

export interface VerifiedSignature {
  readonly key: NoteKey;
  /** Cosignatures: the cosigner's POSIX timestamp. */
  readonly timestamp?: bigint;
}

// A key that verifies many notes (the audit key over an export's checkpoints, a witness's
// cosignatures, the live check's notes) is prepared from its third signature on.
const noteKeys = reusedKeyVerifiers({ from: 3 });
const verifySm2 = (message: Uint8Array, signature: Uint8Array, publicKey: Sm2PublicKey) => verifyWith(noteKeys(publicKey), message, signature);

function verifySignature(text: string, s: NoteSignature, key: NoteKey): Result<VerifiedSignature> {
  const invalid = () => logError('LOG_NOTE_SIGNATURE_INVALID', `the signature of ${key.name} does not verify`, { field: 'signature', details: { name: key.name, keyId: toHex(s.keyId) } });
  if (s.signature.length !== SIGNATURE_LENGTH[key.kind]) return invalid();
  if (key.kind === 'note') return verifySm2(utf8.encode(text), s.signature, key.publicKey) ? ok({ key }) : invalid();
  const timestamp = new DataView(s.signature.buffer, s.signature.byteOffset, 8).getBigUint64(0);
  if (timestamp > 2n ** 63n - 1n) return invalid();
  return verifySm2(cosignedMessage(text, timestamp), s.signature.subarray(8), key.publicKey) ? ok({ key, timestamp }) : invalid();
}

export interface NoteVerification {
  readonly verified: readonly VerifiedSignature[];
  /** Signatures of keys this verifier does not know: ignored, as signed-note requires. */
  readonly ignored: number;
}

/** Verifies every signature of a known key; see the module comment for the rules. */
export function verifyNote(note: SignedNote, keys: readonly NoteKey[]): Result<NoteVerification> {
  const known = keys.map((key) => ({ key, id: keyId(key.name, key.kind, key.publicKey) }));
  const seen = new Set<NoteKey>();
  const verified: VerifiedSignature[] = [];
  let ignored = 0;
  for (const s of note.signatures) {
    const match = known.find((k) => k.key.name === s.name && equal(k.id, s.keyId));
    if (!match) {
      ignored += 1;
      continue;
    }
    if (seen.has(match.key)) {
      return logError('LOG_NOTE_DUPLICATE_SIGNATURE', `${s.name} signed the note twice`, { field: 'signature', details: { name: s.name, keyId: toHex(s.keyId) } });
    }
    seen.add(match.key);
    const v = verifySignature(note.text, s, match.key);
    if (!v.ok) return v;
    verified.push(v.value);
  }
  return ok({ verified, ignored });
}
