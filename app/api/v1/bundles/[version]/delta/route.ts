/** GET /api/v1/bundles/{version}/delta?from={u}: what turns bundle u into bundle version (TQ-CERT-1 §12.3). */
import { toHex } from '../../../../../../lib/bytes';
import { Code } from '../../../../../../lib/errors';
import { IMMUTABLE, parseVersion } from '../../../../../../lib/api/bundles';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../../../lib/api/respond';
import { apiRoute } from '../../../../../../lib/api/route';
import { deltaBetween } from '../../../../../../lib/publication';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute<{ version: string }>('ACQUIRER', async ({ request, ca, params }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const to = parseVersion(params.version, 'version');
  if (!to.ok) return problemResponse(to.error, request);
  const from = parseVersion(new URL(request.url).searchParams.get('from'), 'from');
  if (!from.ok) return problemResponse(from.error, request);
  if (from.value >= to.value) {
    return problemResponse({ code: Code.API_VERSION_INVALID, message: `from must be older than ${to.value}`, field: 'from', details: { from: from.value, version: to.value } }, request);
  }
  const delta = await deltaBetween(ca, from.value, to.value);
  if (!delta.ok) return problemResponse(delta.error, request);
  if (representation.value === 'binary') return binaryResponse(delta.value, IMMUTABLE);
  return jsonResponse({ from: from.value, version: to.value, delta: toHex(delta.value) }, { headers: IMMUTABLE });
});
