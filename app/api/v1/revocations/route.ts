/** GET /api/v1/revocations: the A4 revocation list of the latest bundle. */
import { toHex } from '../../../../lib/bytes';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../lib/api/respond';
import { apiRoute } from '../../../../lib/api/route';
import { currentRevocationList } from '../../../../lib/publication';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute('ACQUIRER', async ({ request, ca }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const list = await currentRevocationList(ca);
  if (!list.ok) return problemResponse(list.error, request);
  const headers = { 'cache-control': 'no-cache' };
  if (representation.value === 'binary') return binaryResponse(list.value, headers);
  return jsonResponse({ revocationList: toHex(list.value) }, { headers });
});
