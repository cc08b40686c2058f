/** GET /api/v1/requests/{id}: one of the token's issuer's requests (another issuer's is 404). */
import { showClientRequest } from '../../../../../lib/ca';
import { parseRequestId } from '../../../../../lib/api/issuer';
import { jsonResponse, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute } from '../../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute<{ id: string }>('ISSUER', async ({ request, ca, client, params }) => {
  const id = parseRequestId(params.id);
  if (!id.ok) return problemResponse(id.error, request);
  const shown = await showClientRequest(ca, client, id.value);
  if (!shown.ok) return problemResponse(shown.error, request);
  return jsonResponse({ request: shown.value }, { headers: { 'cache-control': 'no-store' } });
});
