/** GET /api/v1/roots: the A2 records of the root keys terminals trust now, with their check values. */
import { listRootKeys } from '../../../../lib/ca';
import { apiRoute } from '../../../../lib/api/route';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../lib/api/respond';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

// Issuers' clients verify their certificates against these records too.
export const GET = apiRoute(['ACQUIRER', 'ISSUER'], async ({ request, ca }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const roots = (await listRootKeys(ca)).filter((k) => k.state === 'ACTIVE');
  if (representation.value === 'binary') return binaryResponse(Buffer.concat(roots.map((k) => Buffer.from(k.a2Record, 'hex'))));
  return jsonResponse({ roots: roots.map((k) => ({ index: k.index, expiry: k.expiry, checkValue: k.checkValue, a2Record: k.a2Record })) });
});
