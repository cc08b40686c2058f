/** POST /api/v1/challenges: a fresh 16-byte single-use challenge for the token's issuer (TQ-CERT-1 §8). */
import { issueClientChallenge } from '../../../../lib/ca';
import { jsonResponse, problemResponse } from '../../../../lib/api/respond';
import { apiRoute } from '../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = apiRoute('ISSUER', async ({ request, ca, client }) => {
  const challenge = await issueClientChallenge(ca, client);
  if (!challenge.ok) return problemResponse(challenge.error, request);
  return jsonResponse(challenge.value, { status: 201, headers: { 'cache-control': 'no-store' } });
});
