/** POST /api/v1/acknowledgements: the acquirer's TMS reports the bundle version it verified and installed. */
import { Code } from '../../../../lib/errors';
import { recordAcknowledgement } from '../../../../lib/ca';
import { ACKNOWLEDGEMENT_MAX_BYTES, parseAcknowledgement } from '../../../../lib/api/acknowledgement';
import { publishedBodySm3 } from '../../../../lib/api/publication';
import { jsonResponse, problemResponse } from '../../../../lib/api/respond';
import { apiRoute, readJson } from '../../../../lib/api/route';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const POST = apiRoute('ACQUIRER', async ({ request, ca, client }) => {
  const body = await readJson(request, ACKNOWLEDGEMENT_MAX_BYTES);
  if (!body.ok) return problemResponse(body.error, request);
  const ack = parseAcknowledgement(body.value);
  if (!ack.ok) return problemResponse(ack.error, request);
  if (ack.value.acquirer !== undefined && ack.value.acquirer !== client.institutionCode) {
    return problemResponse({ code: Code.API_INSTITUTION_MISMATCH, message: `the token belongs to acquirer ${client.institutionCode}`, field: 'acquirer' }, request);
  }
  const recorded = await recordAcknowledgement(ca, client, ack.value, await publishedBodySm3(ca, ack.value.version));
  if (!recorded.ok) return problemResponse(recorded.error, request);
  return jsonResponse({ acknowledgement: recorded.value }, { status: 201 });
});
