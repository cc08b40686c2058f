/**
 * `tqca log witness --server`: the witness's side of /api/v1/log/… over HTTP(S). Fetches the
 * newest checkpoint and the consistency proof from the size this witness last cosigned, builds the
 * witness request the offline path takes, and posts the cosignature back.
 */
import { readFile } from 'node:fs/promises';
import { err, ok, type Result } from '../errors';
import { isErrorCode } from '../errors/registry';
import { parseCheckpointText } from '../log/checkpoint';
import { decodeBase64, formatNote, parseNote } from '../log/note';
import { formatWitnessRequest } from '../log/proof';
import type { WitnessStateStore } from '../log/witness';
import { cliError } from './errorCodes';

export interface WitnessServer {
  readonly url: string;
  readonly token: string;
}

/** The API token from its file (first line), never from the command line where `ps` shows it. */
export async function readTokenFile(path: string): Promise<Result<string>> {
  try {
    const token = (await readFile(path, 'utf8')).split('\n')[0]!.trim();
    return token ? ok(token) : cliError('INPUT_EMPTY', `${path} holds no token`, { field: 'tokenFile' });
  } catch (thrown) {
    return cliError('INPUT_UNREADABLE', `cannot read ${path} (${(thrown as NodeJS.ErrnoException).code ?? String(thrown)})`, { field: 'tokenFile' });
  }
}

async function call(server: WitnessServer, path: string, init: RequestInit = {}): Promise<Result<Record<string, unknown>>> {
  let response: Response;
  try {
    response = await fetch(new URL(`api/v1${path}`, server.url.endsWith('/') ? server.url : `${server.url}/`), {
      ...init,
      headers: { authorization: `Bearer ${server.token}`, accept: 'application/json', ...(init.headers as Record<string, string> | undefined) },
    });
  } catch (thrown) {
    return cliError('WITNESS_SERVER_UNREACHABLE', `cannot reach ${server.url}: ${(thrown as Error).message}`, { field: 'server' });
  }
  const body = (await response.json().catch(() => ({}))) as Record<string, unknown>;
  if (response.ok) return ok(body);
  // The server's own problem document: its code and message, as the API gave them.
  if (typeof body.code === 'string' && isErrorCode(body.code) && typeof body.detail === 'string') return err(body.code, body.detail, { details: { status: response.status, server: server.url } });
  return cliError('WITNESS_SERVER_UNREACHABLE', `${server.url} answered ${response.status}`, { field: 'server', details: { status: response.status } });
}

/** The witness request for the server's newest checkpoint, from the size in this witness's state. */
export async function fetchWitnessRequest(server: WitnessServer, store: WitnessStateStore): Promise<Result<string>> {
  const state = await store.read();
  if (!state.ok) return state;
  let old = 0;
  if (state.value !== undefined) {
    const note = parseNote(state.value, 'state');
    const seen = note.ok ? parseCheckpointText(note.value.text, 'state') : note;
    if (!seen.ok) return seen;
    old = seen.value.size;
  }
  const latest = await call(server, '/log/checkpoint');
  if (!latest.ok) return latest;
  const checkpoint = latest.value.checkpoint as { size: number; note: string };
  let proof: Uint8Array[] = [];
  if (old > 0) {
    const consistency = await call(server, `/log/consistency?from=${old}&to=${checkpoint.size}`);
    if (!consistency.ok) return consistency;
    proof = (consistency.value.consistency as { proof: string[] }).proof.map((p) => decodeBase64(p) ?? new Uint8Array());
  }
  // The checkpoint as the CA signed it (its signature comes first): other witnesses' cosignatures,
  // and this witness's own earlier one, are not this witness's to repeat.
  const note = parseNote(checkpoint.note, 'checkpoint');
  if (!note.ok) return note;
  return ok(formatWitnessRequest({ old, proof, checkpoint: formatNote({ text: note.value.text, signatures: note.value.signatures.slice(0, 1) }) }));
}

/** Posts the cosigned checkpoint; the server stores what verifies under this witness's registered key. */
export async function postCosignature(server: WitnessServer, note: string): Promise<Result<{ size: number; added: string[] }>> {
  const stored = await call(server, '/log/cosignatures', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note }) });
  return stored.ok ? ok(stored.value.cosignatures as { size: number; added: string[] }) : stored;
}
