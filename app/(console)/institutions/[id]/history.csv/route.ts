/** GET /institutions/{id}/history.csv: an institution's history from the audit chain, for the records (times in China Standard Time). */
import { institutionHistory } from '../../../../../lib/ca';
import { problemResponse } from '../../../../../lib/api/respond';
import { Code, err } from '../../../../../lib/errors';
import { PAGE_ROLES } from '../../../../../lib/server/access';
import { consoleServices } from '../../../../../lib/server/ca';
import { readSession } from '../../../../../lib/server/session';

export const dynamic = 'force-dynamic';

const cell = (text: string) => (/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
// sv-SE formats as "YYYY-MM-DD HH:MM:SS".
const cst = new Intl.DateTimeFormat('sv-SE', { timeZone: 'Asia/Shanghai', dateStyle: 'short', timeStyle: 'medium' });

export async function GET(request: Request, { params }: { params: Promise<{ id: string }> }): Promise<Response> {
  const session = await readSession({ roles: PAGE_ROLES['/institutions/[id]']!, action: 'download institution history' });
  if (!session.ok) return problemResponse(session.error, request);
  const { id } = await params;
  if (!/^[1-9]\d{0,9}$/.test(id)) return problemResponse(err(Code.INSTITUTION_NOT_FOUND, `no institution ${id}`, { field: 'institution' }).error, request);
  const history = await institutionHistory((await consoleServices()).ca, session.value.operator, Number(id));
  if (!history.ok) return problemResponse(history.error, request);
  const rows = [['time (CST)', 'actor', 'action', 'details'], ...history.value.map((e) => [cst.format(e.time), e.actor, e.action, JSON.stringify(e.details)])];
  return new Response(`${rows.map((r) => r.map(cell).join(',')).join('\r\n')}\r\n`, {
    headers: { 'content-type': 'text/csv; charset=utf-8', 'content-disposition': `attachment; filename="institution-${id}-history.csv"`, 'cache-control': 'no-store' },
  });
}
