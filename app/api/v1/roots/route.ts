/**
 * GET /api/v1/roots: the root keys of the current published bundle — its A2 records with their
 * check values and the state the bundle implies (lib/publication rootRecords) — so /roots and the
 * bundles acquirers verify can never disagree.
 */
import { toHex } from '../../../../lib/bytes';
import { formatRootKeyExpiry } from '../../../../lib/ca';
import { apiRoute } from '../../../../lib/api/route';
import { binaryResponse, jsonResponse, negotiate, problemResponse } from '../../../../lib/api/respond';
import { rootRecords } from '../../../../lib/publication';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

// Issuers' clients verify their certificates against these records too.
export const GET = apiRoute(['ACQUIRER', 'ISSUER'], async ({ request, ca }) => {
  const representation = negotiate(request.headers.get('accept'), ['json', 'binary']);
  if (!representation.ok) return problemResponse(representation.error, request);
  const published = await rootRecords(ca);
  if (!published.ok) return problemResponse(published.error, request);
  const { version, roots } = published.value;
  const headers = { 'cache-control': 'no-cache' };
  if (representation.value === 'binary') return binaryResponse(Buffer.concat(roots.map((k) => k.a2)), headers);
  return jsonResponse(
    {
      version,
      roots: roots.map((k) => ({ index: toHex(Uint8Array.of(k.index)), state: k.state, expiry: formatRootKeyExpiry(k.expiry), checkValue: toHex(k.checkValue), a2Record: toHex(k.a2) })),
    },
    { headers },
  );
});
