/** POST /api/v1/log/cosignatures: a witness's cosignature of a signed checkpoint, stored once it verifies. */
import { addCosignatures } from '../../../../../lib/ca';
import { jsonResponse, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute, readJson } from '../../../../../lib/api/route';
import { COSIGNATURE_MAX_BYTES, parseCosignatureBody } from '../../../../../lib/api/witness';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = apiRoute('WITNESS', async ({ request, ca, client }) => {
  const body = await readJson(request, COSIGNATURE_MAX_BYTES);
  if (!body.ok) return problemResponse(body.error, request);
  const note = parseCosignatureBody(body.value);
  if (!note.ok) return problemResponse(note.error, request);
  const stored = await addCosignatures(ca, client, note.value);
  return stored.ok ? jsonResponse({ cosignatures: stored.value }, { status: 201 }) : problemResponse(stored.error, request);
});
