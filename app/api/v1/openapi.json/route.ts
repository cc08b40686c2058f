/** GET /api/v1/openapi.json: the OpenAPI 3.1 document of every endpoint (public: it describes, it grants nothing). */
import { OPENAPI_DOCUMENT } from '../../../../lib/api/openapi';
import { jsonResponse } from '../../../../lib/api/respond';

export const runtime = 'nodejs';

export const GET = (): Response => jsonResponse(OPENAPI_DOCUMENT, { headers: { 'cache-control': 'public, max-age=300' } });
