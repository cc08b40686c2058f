/**
 * GET /api/v1/certificates/{number}: one of the token's issuer's certificates (another issuer's is
 * 404) with its A3 record, state, expiry and revocation; the 106 bytes with Accept: application/octet-stream.
 */
import { fetchClientCertificate } from '../../../../../lib/ca';
import { parseCertificateNumber } from '../../../../../lib/api/issuer';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute } from '../../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute<{ number: string }>('ISSUER', async ({ request, ca, client, params }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const number = parseCertificateNumber(params.number);
  if (!number.ok) return problemResponse(number.error, request);
  const fetched = await fetchClientCertificate(ca, client, number.value);
  if (!fetched.ok) return problemResponse(fetched.error, request);
  const noStore = { 'cache-control': 'no-store' };
  if (representation.value === 'binary') return binaryResponse(Buffer.from(fetched.value.certificate, 'hex'), noStore);
  return jsonResponse({ certificate: fetched.value }, { headers: noStore });
});
