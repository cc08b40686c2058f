/**
 * A published bundle version as a file: the very bytes GET /api/v1/bundles/{version} serves
 * (application/octet-stream). Cookie-authenticated like the certificate download: same-origin, a
 * live complete session, a role from the access table.
 */
import { parseVersion } from '../../../../../lib/api/bundles';
import { binaryResponse, problemResponse } from '../../../../../lib/api/respond';
import { bundleByVersion } from '../../../../../lib/publication';
import { PAGE_ROLES } from '../../../../../lib/server/access';
import { consoleServices } from '../../../../../lib/server/ca';
import { readSession } from '../../../../../lib/server/session';

export const dynamic = 'force-dynamic';

export async function GET(request: Request, { params }: { params: Promise<{ version: string }> }): Promise<Response> {
  const session = await readSession({ roles: PAGE_ROLES['/bundles/[version]/download']!, action: 'download bundles' });
  if (!session.ok) return problemResponse(session.error, request);
  const version = parseVersion((await params).version, 'version');
  if (!version.ok) return problemResponse(version.error, request);
  const bundle = await bundleByVersion((await consoleServices()).ca, version.value);
  if (!bundle.ok) return problemResponse(bundle.error, request);
  return binaryResponse(bundle.value, { 'cache-control': 'no-store', 'content-disposition': `attachment; filename="bundle-${version.value}.bin"` });
}
