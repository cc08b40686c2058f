/**
 * POST /api/v1/requests: the issuer's A1 record (161 bytes, or JSON {"a1": hex}); every §8 check
 * runs. GET: the token's issuer's requests, optionally by state (a client finds its pending one).
 */
import { listClientRequests, submitClientRequest } from '../../../../lib/ca';
import { admitSubmission, parseRequestState, readA1 } from '../../../../lib/api/issuer';
import { jsonResponse, problemResponse } from '../../../../lib/api/respond';
import { apiRoute } from '../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = apiRoute('ISSUER', async ({ request, ca, client }) => {
  const limited = admitSubmission(client);
  if (limited) return problemResponse(limited, request, limited.headers);
  const a1 = await readA1(request);
  if (!a1.ok) return problemResponse(a1.error, request);
  const submitted = await submitClientRequest(ca, client, a1.value);
  if (!submitted.ok) return problemResponse(submitted.error, request);
  return jsonResponse({ request: submitted.value }, { status: 201, headers: { location: `/api/v1/requests/${submitted.value.id}` } });
});

export const GET = apiRoute('ISSUER', async ({ request, ca, client }) => {
  const state = parseRequestState(request.url);
  if (!state.ok) return problemResponse(state.error, request);
  return jsonResponse({ requests: await listClientRequests(ca, client, state.value) }, { headers: { 'cache-control': 'no-store' } });
});
