/** GET /api/v1/log/checkpoint: the newest signed checkpoint with the cosignatures stored so far (witnesses). */
import { Code } from '../../../../../lib/errors';
import { latestCheckpoint } from '../../../../../lib/ca';
import { jsonResponse, problemResponse } from '../../../../../lib/api/respond';
import { apiRoute } from '../../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = apiRoute('WITNESS', async ({ request, ca }) => {
  const latest = await latestCheckpoint(ca);
  if (!latest) return problemResponse({ code: Code.CHECKPOINT_UNKNOWN, message: 'no checkpoint is signed yet' }, request);
  return jsonResponse({ checkpoint: latest });
});
