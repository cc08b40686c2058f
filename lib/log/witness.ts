/**
 * A witness: an auditor's own SM2 key that cosigns a checkpoint only if it is consistent with the
 * last checkpoint the witness cosigned (c2sp.org/tlog-witness semantics, offline). Once it has
 * cosigned size n with root r, no checkpoint of another history at or beyond n, and no smaller
 * one, gets its cosignature: the CA's operators can no longer fork or roll back the log unseen.
 *
 * State: the last cosigned checkpoint note, one file per log, replaced atomically (write a temp
 * file, fsync, rename, fsync the directory), so a crash leaves the old or the new state, never half.
 * The first checkpoint a witness sees is trusted on first use (request `old 0`).
 */
import { randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import { mkdir, open, readFile, rename, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { toHex } from '../bytes';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { ok, type Result } from '../errors';
import { cosignCheckpoint, parseCheckpointText, verifyCheckpointNote, type Checkpoint } from './checkpoint';
import { logError } from './errorCodes';
import { auditNoteKey } from './exportFormat';
import { SM3_TREE, verifyConsistency } from './merkle';
import { encodeVkey, isKeyName, parseNote, softwareSigner, type NoteSigner } from './note';
import { parseWitnessRequest } from './proof';

/** Where a witness keeps its last cosigned checkpoint. The CLI uses a directory; a service may use a database. */
export interface WitnessStateStore {
  read(): Promise<Result<string | undefined>>;
  write(note: string): Promise<Result<void>>;
}

const STATE_FILE = 'checkpoint';

export function directoryStateStore(dir: string): WitnessStateStore {
  const path = join(dir, STATE_FILE);
  const failed = (action: string, thrown: unknown) =>
    logError('LOG_WITNESS_STATE', `cannot ${action} ${path} (${(thrown as NodeJS.ErrnoException).code ?? String(thrown)})`, { field: 'state', details: { path } });
  return {
    async read() {
      try {
        return ok(await readFile(path, 'utf8'));
      } catch (thrown) {
        return (thrown as NodeJS.ErrnoException).code === 'ENOENT' ? ok(undefined) : failed('read', thrown);
      }
    },
    async write(note) {
      const temp = join(dir, `.${STATE_FILE}.${toHex(randomBytes(6))}`);
      try {
        await mkdir(dir, { recursive: true, mode: 0o700 });
        const file = await open(temp, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
        try {
          await file.writeFile(note, 'utf8');
          await file.sync();
        } finally {
          await file.close();
        }
        await rename(temp, path);
        const directory = await open(dir, constants.O_RDONLY);
        try {
          await directory.sync();
        } finally {
          await directory.close();
        }
        return ok(undefined);
      } catch (thrown) {
        return failed('write', thrown);
      }
    },
  };
}

export interface Cosigned {
  readonly checkpoint: Checkpoint;
  /** The checkpoint note with this witness's cosignature added. */
  readonly note: string;
  readonly previous?: Checkpoint;
}

/**
 * Checks a witness request (old size, consistency proof, checkpoint) against the stored state and
 * the log's audit key, cosigns at `now`, and stores the new state before returning the cosignature.
 */
export async function witnessCheckpoint(requestText: string, auditKey: Sm2PublicKey, witness: NoteSigner, store: WitnessStateStore, now: Date): Promise<Result<Cosigned>> {
  const request = parseWitnessRequest(requestText);
  if (!request.ok) return request;
  const note = parseNote(request.value.checkpoint);
  if (!note.ok) return note;
  const body = parseCheckpointText(note.value.text);
  if (!body.ok) return body;
  const origin = body.value.origin;
  const verified = verifyCheckpointNote(request.value.checkpoint, { origin, auditKey: auditNoteKey(origin, auditKey), witnesses: [] });
  if (!verified.ok) return verified;
  const next = verified.value.checkpoint;

  const stored = await store.read();
  if (!stored.ok) return stored;
  let previous: Checkpoint | undefined;
  if (stored.value !== undefined) {
    const prevNote = parseNote(stored.value, 'state');
    const prev = prevNote.ok ? parseCheckpointText(prevNote.value.text, 'state') : prevNote;
    if (!prev.ok) return logError('LOG_WITNESS_STATE', `the stored checkpoint is malformed: ${prev.error.message}`, { field: 'state' });
    previous = prev.value;
  }
  const conflict = (message: string) =>
    logError('LOG_WITNESS_CONFLICT', message, { field: 'checkpoint', details: { witnessSize: previous?.size ?? 0, size: next.size, old: request.value.old } });
  if (previous && previous.origin !== origin) return logError('LOG_CHECKPOINT_ORIGIN', `this witness state is of ${JSON.stringify(previous.origin)}`, { field: 'origin' });
  const seenSize = previous?.size ?? 0;
  if (request.value.old !== seenSize) return conflict(`the proof is from size ${request.value.old}; this witness last cosigned size ${seenSize}`);
  if (next.size < seenSize) return conflict(`a checkpoint of size ${next.size} is older than the one of size ${seenSize} this witness cosigned: a rollback`);
  if (previous) {
    const consistent = verifyConsistency(SM3_TREE, previous.size, next.size, request.value.proof, previous.root, next.root);
    if (!consistent.ok) return conflict(`the checkpoint of size ${next.size} is not consistent with the one of size ${previous.size} this witness cosigned: a fork (${consistent.error.message})`);
  } else if (request.value.proof.length !== 0) return conflict('a first checkpoint comes with no proof');

  const cosigned = await cosignCheckpoint(note.value, witness, BigInt(Math.floor(now.getTime() / 1000)));
  if (!cosigned.ok) return cosigned;
  const saved = await store.write(cosigned.value);
  if (!saved.ok) return saved;
  return ok({ checkpoint: next, note: cosigned.value, previous });
}

const KEY_FORMAT = 'tqca-witness-key';

interface KeyFile {
  readonly format: typeof KEY_FORMAT;
  readonly version: 1;
  readonly name: string;
  readonly privateKey: string;
}

/** Makes a witness key file (owner-only, never overwritten); returns the vkey to give the verifiers. */
export async function createWitnessKey(path: string, name: string): Promise<Result<string>> {
  if (!isKeyName(name)) return logError('LOG_KEY_FILE', 'a witness name is non-empty without spaces or plus, e.g. auditor.example/w1', { field: 'name' });
  const privateKey = sm2.generatePrivateKey();
  const file: KeyFile = { format: KEY_FORMAT, version: 1, name, privateKey: toHex(privateKey) };
  try {
    await writeFile(path, `${JSON.stringify(file)}\n`, { mode: 0o600, flag: 'wx' });
  } catch (thrown) {
    return logError('LOG_KEY_FILE', `cannot create ${path} (${(thrown as NodeJS.ErrnoException).code ?? String(thrown)})`, { field: 'out', details: { path } });
  }
  return ok(encodeVkey(softwareSigner(name, 'cosignature', privateKey)));
}

export async function loadWitnessKey(path: string): Promise<Result<NoteSigner>> {
  const bad = (message: string) => logError('LOG_KEY_FILE', `${path}: ${message}`, { field: 'key', details: { path } });
  let text: string;
  try {
    if ((await stat(path)).mode & 0o077) return bad('the key file is readable or writable by others (chmod 600)');
    text = await readFile(path, 'utf8');
  } catch (thrown) {
    return bad(`cannot read (${(thrown as NodeJS.ErrnoException).code ?? String(thrown)})`);
  }
  let file: Partial<KeyFile>;
  try {
    file = JSON.parse(text) as Partial<KeyFile>;
  } catch {
    return bad('not JSON');
  }
  if (file.format !== KEY_FORMAT || file.version !== 1 || typeof file.name !== 'string' || !isKeyName(file.name) || typeof file.privateKey !== 'string' || !/^[0-9a-f]{64}$/.test(file.privateKey)) {
    return bad(`not a ${KEY_FORMAT} version 1 file`);
  }
  const privateKey = new Uint8Array(Buffer.from(file.privateKey, 'hex'));
  try {
    return ok(softwareSigner(file.name, 'cosignature', privateKey));
  } catch {
    return bad('the private key is out of range');
  }
}
