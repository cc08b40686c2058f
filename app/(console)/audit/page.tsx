// The audit log: entries filtered by GET parameters (from, to, actor, action, object), newest
// first, paged by sequence; the live check's last result; the export for auditors and officers.
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { AuditExport } from '../../../components/AuditExport';
import { cstTime, tdClass } from '../../../components/caText';
import { DataTable, rowClass } from '../../../components/DataTable';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { LogVerification } from '../../../components/LogVerification';
import { Pagination } from '../../../components/Pagination';
import { buttonClass, cardClass, inputClass, labelClass } from '../../../components/ui';
import { checkRole, EXPORT_ROLES, searchAuditEntries } from '../../../lib/ca';
import { consoleServices, lastLogCheck } from '../../../lib/server/ca';
import { pageOperatorFor } from '../../../lib/server/session';
import { filterParams, parseCursor, parseFilter, type AuditQuery } from './query';

const FILTERS = [
  ['from', 'datetime-local'],
  ['to', 'datetime-local'],
  ['actor', 'text'],
  ['action', 'text'],
  ['object', 'text'],
] as const;

export default async function AuditLogPage({ searchParams }: { searchParams: Promise<AuditQuery> }) {
  const allowed = await pageOperatorFor('/audit');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const { operator } = allowed.value;
  const t = await getTranslations('auditLog');
  const format = await getFormatter();
  const query = await searchParams;
  const filter = parseFilter(query);
  const cursor = parseCursor(query);
  const invalid = !filter.ok ? filter.error : !cursor.ok ? cursor.error : undefined;
  const found = filter.ok && cursor.ok ? await searchAuditEntries((await consoleServices()).ca, operator, filter.value, cursor.value) : null;
  const check = await lastLogCheck();
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <LogVerification check={check} />
      <p className="text-sm">
        <Link href="/audit/checkpoints" className="font-medium text-sky-800 underline">{t('checkpointsLink')}</Link>
      </p>
      <form method="get" className={`${cardClass} grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-3`} aria-label={t('filterLabel')}>
        {FILTERS.map(([name, type]) => (
          <div key={name}>
            <label htmlFor={`filter-${name}`} className={labelClass}>{t(`filter.${name}`)}</label>
            <input id={`filter-${name}`} name={name} type={type} step={type === 'datetime-local' ? 1 : undefined} defaultValue={query[name] ?? ''} className={inputClass} autoComplete="off" spellCheck={false}
              aria-describedby={`filter-${name}-hint`} {...(invalid?.field === name ? { 'aria-invalid': true } : {})} />
            <p id={`filter-${name}-hint`} className="mt-1 text-xs text-slate-700">{t(`filterHint.${name}`)}</p>
          </div>
        ))}
        <div className="flex items-end gap-3">
          <button type="submit" className={buttonClass}>{t('search')}</button>
          <Link href="/audit" className="text-sm font-medium text-sky-800 underline">{t('clear')}</Link>
        </div>
      </form>
      {invalid ? <FormErrorStatic error={invalid} /> : null}
      {found && !found.ok ? <FormErrorStatic error={found.error} /> : null}
      {found?.ok ? (
        <section className={cardClass} aria-labelledby="entries-title">
          <h2 id="entries-title" className="text-lg font-semibold">{t('entriesTitle')}</h2>
          {found.value.rows.length === 0 ? <p className="mt-2 text-sm" data-testid="audit-empty">{t('empty')}</p> : (
            <DataTable testId="audit-entries" caption={t('entriesTitle')} columns={[t('sequence'), t('time'), t('actor'), t('action'), t('object')]}>
              {found.value.rows.map((e) => (
                <tr key={e.seq} className={rowClass} data-testid="audit-entry" data-sequence={e.seq} data-action={e.action}>
                  <td className={tdClass}><Link href={`/audit/${e.seq}`} className="font-mono text-sky-800 underline" aria-label={t('openEntry', { seq: e.seq })}>{e.seq}</Link></td>
                  <td className={tdClass}>{cstTime(format, e.time)}</td>
                  <td className={tdClass}>{e.actor}</td>
                  <td className={`${tdClass} font-mono text-xs`}>{e.action}</td>
                  <td className={`${tdClass} font-mono text-xs break-all`}>{e.objectType}:{e.objectId}</td>
                </tr>
              ))}
            </DataTable>
          )}
          <Pagination path="/audit" query={filterParams(query)} page={1} pages={1}
            keyset={{ previous: found.value.newer ? { after: found.value.newer } : null, next: found.value.older ? { before: found.value.older } : null }}
            labels={{ nav: t('pages'), previous: t('newer'), next: t('older'), page: found.value.rows.length > 0 ? t('range', { newest: found.value.rows[0].seq, oldest: found.value.rows.at(-1)!.seq }) : '' }} />
        </section>
      ) : null}
      {checkRole(operator, EXPORT_ROLES, 'export').ok ? (
        <section className={cardClass} aria-labelledby="export-title">
          <h2 id="export-title" className="text-lg font-semibold">{t('export.title')}</h2>
          <p className="mt-1 text-sm text-slate-700">{t('export.intro')}</p>
          <div className="mt-3"><AuditExport /></div>
        </section>
      ) : null}
    </div>
  );
}
