/** GET /api/v1/certificates: the token's issuer's certificates, optionally by state (active, revoked, expired). */
import { listClientCertificates } from '../../../../lib/ca';
import { parseCertificateState } from '../../../../lib/api/issuer';
import { jsonResponse, problemResponse } from '../../../../lib/api/respond';
import { apiRoute } from '../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute('ISSUER', async ({ request, ca, client }) => {
  const state = parseCertificateState(request.url);
  if (!state.ok) return problemResponse(state.error, request);
  return jsonResponse({ certificates: await listClientCertificates(ca, client, state.value) }, { headers: { 'cache-control': 'no-store' } });
});
