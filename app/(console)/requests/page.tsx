// Certificate requests, filtered by state (a GET form: works without script, bookmarkable).
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { cstTime, tableClass, tdClass, thClass } from '../../../components/caText';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { buttonClass, cardClass, inputClass, labelClass } from '../../../components/ui';
import { listRequests, type RequestState } from '../../../lib/ca';
import { consoleServices } from '../../../lib/server/ca';
import { PAGE_ROLES } from '../../../lib/server/access';
import { pageOperator } from '../../../lib/server/session';

const STATES = ['SUBMITTED', 'APPROVED', 'ISSUED', 'REJECTED', 'EXPIRED'] as const satisfies readonly RequestState[];

export default async function RequestsPage({ searchParams }: { searchParams: Promise<{ state?: string }> }) {
  const allowed = await pageOperator(PAGE_ROLES['/requests']!, 'see certificate requests');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('caRequests');
  const format = await getFormatter();
  const { state: asked } = await searchParams;
  const state = STATES.find((s) => s === asked);
  const requests = await listRequests((await consoleServices()).ca, state ? { state } : {});
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <form method="get" className={`${cardClass} flex flex-wrap items-end gap-3`} aria-label={t('filter')}>
        <div>
          <label htmlFor="state" className={labelClass}>{t('stateLabel')}</label>
          <select id="state" name="state" defaultValue={state ?? ''} className={inputClass}>
            <option value="">{t('allStates')}</option>
            {STATES.map((s) => <option key={s} value={s}>{t(`state.${s}`)}</option>)}
          </select>
        </div>
        <button type="submit" className={buttonClass}>{t('apply')}</button>
      </form>
      <div className={`${cardClass} overflow-x-auto`}>
        {requests.length === 0 ? <p className="text-sm text-slate-700">{t('none')}</p> : null}
        <table className={tableClass} data-testid="requests">
          <caption className="sr-only">{t('title')}</caption>
          <thead>
            <tr className="border-b border-slate-300">
              <th scope="col" className={thClass}>{t('id')}</th>
              <th scope="col" className={thClass}>{t('issuer')}</th>
              <th scope="col" className={thClass}>{t('serial')}</th>
              <th scope="col" className={thClass}>{t('expiry')}</th>
              <th scope="col" className={thClass}>{t('stateLabel')}</th>
              <th scope="col" className={thClass}>{t('submitted')}</th>
            </tr>
          </thead>
          <tbody>
            {requests.map((r) => (
              <tr key={r.id} className="border-b border-slate-200" data-request={r.id}>
                <td className={tdClass}>
                  <Link href={`/requests/${r.id}`} className="font-medium text-sky-800 underline">{t('open', { id: r.id })}</Link>
                </td>
                <td className={`${tdClass} font-mono`}>{r.issuerId}</td>
                <td className={tdClass}>{r.serial}</td>
                <td className={`${tdClass} font-mono`}>{r.expiry}</td>
                <td className={tdClass}>{t(`state.${r.state}`)}{r.state === 'SUBMITTED' && r.reviewedBy !== null ? ` · ${t('reviewed')}` : ''}</td>
                <td className={tdClass}>{cstTime(format, r.submittedAt)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}
