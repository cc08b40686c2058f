/**
 * GET /api/v1/health: liveness for load balancers and process supervisors — the server process
 * answers HTTP. Public and constant: it reads neither the database nor the HSM (readiness is the
 * authenticated endpoints' own answers), so a probe every second costs nothing and reveals nothing.
 */
import { jsonResponse } from '../../../../lib/api/respond';

export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export const GET = (): Response => jsonResponse({ status: 'ok' }, { headers: { 'cache-control': 'no-store' } });
