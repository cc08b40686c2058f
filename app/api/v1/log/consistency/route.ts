/** GET /api/v1/log/consistency?from=M&to=N: a consistency proof to a signed checkpoint's size (witnesses). */
import { logConsistencyProof } from '../../../../../lib/ca';
import { jsonResponse, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute } from '../../../../../lib/api/route';
import { parseConsistencyQuery } from '../../../../../lib/api/witness';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute('WITNESS', async ({ request, ca }) => {
  const sizes = parseConsistencyQuery(new URL(request.url));
  if (!sizes.ok) return problemResponse(sizes.error, request);
  const proof = await logConsistencyProof(ca, sizes.value.from, sizes.value.to);
  return proof.ok ? jsonResponse({ consistency: proof.value }) : problemResponse(proof.error, request);
});
