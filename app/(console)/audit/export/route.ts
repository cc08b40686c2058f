/**
 * GET /audit/export?format=jsonl|csv|certificates: the audit log as a streamed download. JSON Lines
 * is exactly what `tqca log export` writes (exportLog: a fresh checkpoint first, the export audited,
 * every line verified before it is sent); CSV is for spreadsheets, "certificates" the certificate
 * log as CSV. The size is known before the first byte (x-audit-entries, x-audit-lines) so the
 * page shows progress. Cookie-authenticated like the certificate download: same-origin, a live
 * complete session, an auditor or officer.
 */
import { EXPORT_FORMATS, sizedExport, type ExportFormat } from '../../../../lib/ca';
import { problemResponse } from '../../../../lib/api/respond';
import { Code, err } from '../../../../lib/errors';
import { PAGE_ROLES } from '../../../../lib/server/access';
import { consoleServices } from '../../../../lib/server/ca';
import { readSession } from '../../../../lib/server/session';
import { streamLines } from '../../../../lib/server/streamLines';

export const dynamic = 'force-dynamic';

const CONTENT_TYPES: Record<ExportFormat, string> = { jsonl: 'application/x-ndjson; charset=utf-8', csv: 'text/csv; charset=utf-8', certificates: 'text/csv; charset=utf-8' };
const FILE_SUFFIX: Record<ExportFormat, string> = { jsonl: 'jsonl', csv: 'csv', certificates: 'certificates.csv' };

export async function GET(request: Request): Promise<Response> {
  const session = await readSession({ roles: PAGE_ROLES['/audit/export']!, action: 'export the audit log' });
  if (!session.ok) return problemResponse(session.error, request);
  const format = EXPORT_FORMATS.find((f) => f === new URL(request.url).searchParams.get('format'));
  if (!format) return problemResponse(err(Code.FORM_INVALID, `format must be one of ${EXPORT_FORMATS.join(', ')}`, { field: 'format' }).error, request);
  const exported = await sizedExport((await consoleServices()).ca, session.value.operator, format);
  if (!exported.ok) return problemResponse(exported.error, request);
  const { lines, checkpoint, entries, lineCount } = exported.value;
  // Pulled as the client reads: the database is read in batches, never the whole log at once.
  return new Response(streamLines(lines), {
    headers: {
      'content-type': CONTENT_TYPES[format],
      'content-disposition': `attachment; filename="audit-log-${checkpoint.size}.${FILE_SUFFIX[format]}"`,
      'cache-control': 'no-store',
      'x-audit-entries': String(entries),
      'x-audit-lines': String(lineCount),
      'x-audit-checkpoint-size': String(checkpoint.size),
    },
  });
}
