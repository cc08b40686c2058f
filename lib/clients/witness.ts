/**
 * `tqca log witness --server`: the witness's side of /api/v1/log/… over HTTP(S). Fetches the
 * newest checkpoint and the consistency proof from the size this witness last cosigned, builds the
 * witness request the offline path takes, and posts the cosignature back.
 */
import { ok, type Result } from '../errors';
import { parseCheckpointText } from '../log/checkpoint';
import { decodeBase64, formatNote, parseNote } from '../log/note';
import { formatWitnessRequest } from '../log/proof';
import type { WitnessStateStore } from '../log/witness';
import { callJson, type ApiEndpoint } from './http';

const get = async <T>(server: ApiEndpoint, path: string): Promise<Result<T>> => (await callJson(server, `api/v1${path}`, [200])) as Result<T>;

/** The witness request for the server's newest checkpoint, from the size in this witness's state. */
export async function fetchWitnessRequest(server: ApiEndpoint, store: WitnessStateStore): Promise<Result<string>> {
  const state = await store.read();
  if (!state.ok) return state;
  let old = 0;
  if (state.value !== undefined) {
    const note = parseNote(state.value, 'state');
    const seen = note.ok ? parseCheckpointText(note.value.text, 'state') : note;
    if (!seen.ok) return seen;
    old = seen.value.size;
  }
  const latest = await get<{ checkpoint: { size: number; note: string } }>(server, '/log/checkpoint');
  if (!latest.ok) return latest;
  const { checkpoint } = latest.value;
  let proof: Uint8Array[] = [];
  if (old > 0) {
    const consistency = await get<{ consistency: { proof: string[] } }>(server, `/log/consistency?from=${old}&to=${checkpoint.size}`);
    if (!consistency.ok) return consistency;
    proof = consistency.value.consistency.proof.map((p) => decodeBase64(p) ?? new Uint8Array());
  }
  // The checkpoint as the CA signed it (its signature comes first): other witnesses' cosignatures,
  // and this witness's own earlier one, are not this witness's to repeat.
  const note = parseNote(checkpoint.note, 'checkpoint');
  if (!note.ok) return note;
  return ok(formatWitnessRequest({ old, proof, checkpoint: formatNote({ text: note.value.text, signatures: note.value.signatures.slice(0, 1) }) }));
}

/** Posts the cosigned checkpoint; the server stores what verifies under this witness's registered key. */
export async function postCosignature(server: ApiEndpoint, note: string): Promise<Result<{ size: number; added: string[] }>> {
  const stored = await callJson(server, 'api/v1/log/cosignatures', [201], { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ note }) });
  return stored.ok ? ok((stored.value as { cosignatures: { size: number; added: string[] } }).cosignatures) : stored;
}
