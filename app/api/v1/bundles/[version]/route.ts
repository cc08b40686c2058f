/** GET /api/v1/bundles/{version}: a published bundle, immutable once published. */
import { toHex } from '../../../../../lib/bytes';
import { IMMUTABLE, parseVersion } from '../../../../../lib/api/bundles';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute } from '../../../../../lib/api/route';
import { bundleByVersion } from '../../../../../lib/publication';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute<{ version: string }>('ACQUIRER', async ({ request, ca, params }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const version = parseVersion(params.version, 'version');
  if (!version.ok) return problemResponse(version.error, request);
  const bundle = await bundleByVersion(ca, version.value);
  if (!bundle.ok) return problemResponse(bundle.error, request);
  if (representation.value === 'binary') return binaryResponse(bundle.value, IMMUTABLE);
  return jsonResponse({ version: version.value, bundle: toHex(bundle.value) }, { headers: IMMUTABLE });
});
