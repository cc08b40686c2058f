/**
 * GET /api/v1/bundles/latest: the current manifest (A5), answered from this process's memory; a
 * TMS polling with If-None-Match gets 304 without a database query.
 */
import { toHex } from '../../../../../lib/bytes';
import { bundleState } from '../../../../../lib/api/bundles';
import { ifNoneMatchHits } from '../../../../../lib/api/manifestWatch';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute } from '../../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute('ACQUIRER', async ({ request, ca, client }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const { watch, polls } = bundleState(ca);
  const current = await watch.current();
  if (!current.ok) return problemResponse(current.error, request);
  const m = current.value;
  const notModified = ifNoneMatchHits(request.headers.get('if-none-match'), m.etag);
  polls.count(client.institutionId, m.version, notModified, ca.now());
  const headers = { etag: m.etag, 'cache-control': 'no-cache' };
  if (notModified) return new Response(null, { status: 304, headers });
  if (representation.value === 'binary') return binaryResponse(m.manifest, headers);
  return jsonResponse(
    { version: m.version, manifest: toHex(m.manifest), bodySm3: toHex(m.bodySm3), publishedAt: m.publishedAt.toISOString(), expiresAt: m.expiresAt.toISOString() },
    { headers },
  );
});
