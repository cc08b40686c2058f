/**
 * A certificate's 106 bytes as a file: `?format=binary` (application/octet-stream) or `?format=hex`
 * (text). Cookie-authenticated like the pages' actions: same-origin (a cross-site
 * Sec-Fetch-Site or foreign Origin is refused), a live complete session, an officer or auditor.
 */
import { showCertificate } from '../../../../../lib/ca';
import { Code, err, type TqError } from '../../../../../lib/errors';
import { PROBLEM_CONTENT_TYPE, problemDetails } from '../../../../../lib/errors/problem';
import { consoleServices } from '../../../../../lib/server/ca';
import { PAGE_ROLES } from '../../../../../lib/server/access';
import { readSession } from '../../../../../lib/server/session';

function refused(error: TqError, instance: string): Response {
  const problem = problemDetails(error, { instance });
  return new Response(JSON.stringify(problem), { status: problem.status, headers: { 'content-type': PROBLEM_CONTENT_TYPE, 'cache-control': 'no-store' } });
}

export async function GET(request: Request, { params }: { params: Promise<{ number: string }> }): Promise<Response> {
  const instance = new URL(request.url).pathname;
  const session = await readSession({ roles: PAGE_ROLES['/certificates/[number]/download']!, action: 'download certificates' });
  if (!session.ok) return refused(session.error, instance);
  const { number } = await params;
  const format = new URL(request.url).searchParams.get('format');
  if (format !== 'binary' && format !== 'hex') return refused(err(Code.FORM_INVALID, 'format must be binary or hex', { field: 'format' }).error, instance);
  if (!/^[0-9A-Fa-f]{1,8}$/.test(number)) return refused(err(Code.CERTIFICATE_UNKNOWN, `no certificate ${number}`, { field: 'number' }).error, instance);
  const found = await showCertificate((await consoleServices()).ca, Number.parseInt(number, 16));
  if (!found.ok) return refused(found.error, instance);
  const c = found.value;
  const headers = { 'cache-control': 'no-store', 'content-disposition': `attachment; filename="certificate-${c.number}.${format === 'binary' ? 'bin' : 'hex'}"` };
  return format === 'binary'
    ? new Response(Buffer.from(c.certificate, 'hex'), { headers: { ...headers, 'content-type': 'application/octet-stream' } })
    : new Response(`${c.certificate}\n`, { headers: { ...headers, 'content-type': 'text/plain; charset=utf-8' } });
}
