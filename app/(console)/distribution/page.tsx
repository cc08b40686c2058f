// Distribution: per active acquirer its status (mismatch, never, silent, behind, current), last poll,
// acknowledged version and lag against the current version (distributionStatus, paged by the
// database); "who has not acknowledged version N" (?version=N); revocation propagation over time.
import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { cstTime, tdClass } from '../../../components/caText';
import { DataTable, rowClass } from '../../../components/DataTable';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { institutionName } from '../../../components/institutionName';
import { Pagination } from '../../../components/Pagination';
import { durationText, PropagationChart } from '../../../components/PropagationChart';
import { buttonClass, cardClass, inputClass, labelClass } from '../../../components/ui';
import { distributionStatus, distributionThresholds, revocationPropagation, type AcquirerStatus } from '../../../lib/ca';
import { Code, err, ok, type Result } from '../../../lib/errors';
import { PAGE_ROLES } from '../../../lib/server/access';
import { consoleServices } from '../../../lib/server/ca';
import { pageOperator } from '../../../lib/server/session';

const PAGE_SIZE = 50;
/** The newest revocations the chart follows (the CLI's default is 20). */
const PROPAGATION_LIMIT = 50;

type Query = Partial<Record<'version' | 'page', string>>;

const wholeNumber = (q: Query, name: 'version' | 'page'): Result<number | undefined> => {
  const v = q[name]?.trim();
  if (!v) return ok(undefined);
  return /^[1-9]\d{0,8}$/.test(v) ? ok(Number(v)) : err(Code.FORM_INVALID, `${name} must be a whole number from 1`, { field: name });
};

const STATUS_CLASS: Record<AcquirerStatus, string> = {
  current: 'bg-emerald-100 text-emerald-900',
  behind: 'bg-amber-100 text-amber-900',
  silent: 'bg-orange-100 text-orange-900',
  mismatch: 'bg-red-100 text-red-900',
  never: 'bg-slate-200 text-slate-900',
};

export default async function DistributionPage({ searchParams }: { searchParams: Promise<Query> }) {
  const allowed = await pageOperator(PAGE_ROLES['/distribution']!, 'see the distribution');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('distribution');
  const format = await getFormatter();
  const locale = await getLocale();
  const query = await searchParams;
  const version = wholeNumber(query, 'version');
  const page = wholeNumber(query, 'page');
  const { ca, publicationPolicy } = await consoleServices();
  const thresholds = distributionThresholds(publicationPolicy);
  const read = (v: number | undefined) => distributionStatus(ca, { thresholds, version: v, page: page.ok ? page.value : undefined, pageSize: PAGE_SIZE });
  let status = await read(version.ok ? version.value : undefined);
  let problem = !version.ok ? version.error : !page.ok ? page.error : undefined;
  // A version never published is the lookup's error; the acquirers are still listed.
  if (!status.ok && status.error.field === 'version') [problem, status] = [status.error, await read(undefined)];
  if (!status.ok) problem = status.error;
  const s = status.ok ? status.value : null;
  const propagation = await revocationPropagation(ca, { limit: PROPAGATION_LIMIT });
  const keep: Record<string, string> = version.ok && version.value !== undefined ? { version: String(version.value) } : {};
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        {s ? <p className="text-sm text-slate-700" data-testid="current-version">{s.latest ? t('current', { version: s.latest.version, at: cstTime(format, s.latest.publishedAt) }) : t('noBundle')}</p> : null}
        <p className="text-sm text-slate-600">{t('thresholds', { silent: durationText(t, thresholds.silentAfterMs), behind: durationText(t, thresholds.behindAfterMs) })}</p>
      </div>

      <section className={cardClass} aria-labelledby="version-title">
        <h2 id="version-title" className="text-lg font-semibold">{t('versionTitle')}</h2>
        <form method="get" className="mt-2 flex flex-wrap items-end gap-3">
          <div>
            <label htmlFor="version" className={labelClass}>{t('versionLabel')}</label>
            <input id="version" name="version" inputMode="numeric" defaultValue={query.version ?? ''} className={`${inputClass} font-mono`} autoComplete="off" {...(problem?.field === 'version' ? { 'aria-invalid': true } : {})} />
          </div>
          <button type="submit" className={buttonClass}>{t('versionShow')}</button>
        </form>
        {problem ? <div className="mt-3"><FormErrorStatic error={problem} /></div> : null}
        {s?.missing ? (
          <div className="mt-3">
            <h3 className="font-semibold">{t('missingTitle', { version: s.missing.version, by: cstTime(format, s.missing.by) })}</h3>
            {s.missing.acquirers.length === 0 ? (
              <p className="mt-1 text-sm text-emerald-900" data-testid="all-acknowledged">{t('missingNone', { version: s.missing.version })}</p>
            ) : (
              <ul className="mt-1 list-disc pl-6 text-sm">
                {s.missing.acquirers.map((a) => (
                  <li key={a.institutionId} data-testid="unacknowledged-acquirer" data-institution={a.code}>
                    <span className="font-mono">{a.code}</span> {institutionName(a, locale)}
                  </li>
                ))}
              </ul>
            )}
          </div>
        ) : null}
      </section>

      {s ? (
        <section className={cardClass} aria-labelledby="acquirers-title">
          <h2 id="acquirers-title" className="text-lg font-semibold">{t('acquirersTitle')}</h2>
          {s.total === 0 ? (
            <p className="mt-2 text-sm text-slate-700">{t('noAcquirers')}</p>
          ) : (
            <>
              <p className="mt-1 text-sm text-slate-700">{t('total', { total: s.total, page: s.page, pages: s.pages })}</p>
              <DataTable
                testId="acquirers"
                caption={t('acquirersTitle')}
                columns={[t('code'), t('name'), t('statusLabel'), t('lastPoll'), t('acknowledged'), t('lagVersions'), t('lagTime'), t('alarms')]}
              >
                {s.acquirers.map((a) => (
                  <tr key={a.institutionId} className={rowClass} data-testid="acquirer-row" data-institution={a.code} data-status={a.status} data-acknowledged-version={a.acknowledgedVersion ?? ''}>
                    <td className={`${tdClass} font-mono`}>{a.code}</td>
                    <td className={tdClass}>{institutionName(a, locale)}</td>
                    <td className={tdClass}><span className={`rounded px-2 py-0.5 text-xs font-semibold ${STATUS_CLASS[a.status]}`}>{t(`status.${a.status}`)}</span></td>
                    <td className={tdClass}>{a.lastPollAt ? <>{cstTime(format, a.lastPollAt)}<br />{t('polledVersion', { version: a.lastPolledVersion! })}</> : t('never')}</td>
                    <td className={tdClass}>{a.acknowledgedVersion === null ? '—' : <>{a.acknowledgedVersion}<br />{t('acknowledgedAt', { at: cstTime(format, a.acknowledgedAt!) })}</>}</td>
                    <td className={tdClass}>{a.lagVersions ?? '—'}</td>
                    <td className={tdClass}>{a.lagMs === null ? '—' : durationText(t, a.lagMs)}</td>
                    <td className={tdClass}>{a.alarms}</td>
                  </tr>
                ))}
              </DataTable>
              <Pagination path="/distribution" query={keep} page={s.page} pages={s.pages} labels={{ nav: t('pages'), previous: t('previous'), next: t('next'), page: t('pageOf', { page: s.page, pages: s.pages }) }} />
            </>
          )}
        </section>
      ) : null}

      <section className={cardClass}>
        {propagation.ok ? <PropagationChart rows={propagation.value} limit={PROPAGATION_LIMIT} /> : <FormErrorStatic error={propagation.error} />}
      </section>
    </div>
  );
}
