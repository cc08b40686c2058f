// Certificates: search, filter, sort and pagination done by the database (searchCertificates),
// driven by a GET form so every page of results is a link.
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { cstTime, tableClass, tdClass, thClass } from '../../../components/caText';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { Pagination } from '../../../components/Pagination';
import { buttonClass, cardClass, inputClass, labelClass } from '../../../components/ui';
import { CERTIFICATE_SORTS, EXPIRY_WARNING_DAYS, searchCertificates, type CertificateSearch } from '../../../lib/ca';
import { Code, err, ok, type Result } from '../../../lib/errors';
import { consoleServices } from '../../../lib/server/ca';
import { PAGE_ROLES } from '../../../lib/server/access';
import { pageOperator } from '../../../lib/server/session';

const STATUSES = ['ACTIVE', 'REVOKED', 'EXPIRED'] as const;
type Query = Partial<Record<'number' | 'issuer' | 'status' | 'expiring' | 'sort' | 'order' | 'page', string>>;

/** The query string, parsed: a malformed value is FORM_INVALID naming its field, never a 500. */
function parseQuery(q: Query): Result<CertificateSearch> {
  const hex = (name: 'number' | 'issuer') => {
    const v = q[name]?.trim();
    if (!v) return ok(undefined);
    return /^[0-9A-Fa-f]{1,8}$/.test(v) ? ok(Number.parseInt(v, 16)) : err(Code.FORM_INVALID, `${name} must be up to 8 hex digits`, { field: name });
  };
  const number = hex('number');
  if (!number.ok) return number;
  const issuer = hex('issuer');
  if (!issuer.ok) return issuer;
  const status = q.status ? STATUSES.find((s) => s === q.status) : undefined;
  if (q.status && !status) return err(Code.FORM_INVALID, `status must be one of ${STATUSES.join(', ')}`, { field: 'status' });
  const expiring = q.expiring ? EXPIRY_WARNING_DAYS.find((d) => String(d) === q.expiring) : undefined;
  if (q.expiring && !expiring) return err(Code.FORM_INVALID, `expiring must be one of ${EXPIRY_WARNING_DAYS.join(', ')}`, { field: 'expiring' });
  const sort = q.sort ? CERTIFICATE_SORTS.find((s) => s === q.sort) : 'number';
  if (!sort) return err(Code.FORM_INVALID, `sort must be one of ${CERTIFICATE_SORTS.join(', ')}`, { field: 'sort' });
  if (q.page && !/^[1-9]\d{0,6}$/.test(q.page)) return err(Code.FORM_INVALID, 'page must be a whole number from 1', { field: 'page' });
  return ok({ number: number.value, issuerId: issuer.value, status, expiringWithinDays: expiring, sort, descending: q.order === 'desc', page: q.page ? Number(q.page) : 1 });
}

export default async function CertificatesPage({ searchParams }: { searchParams: Promise<Query> }) {
  const allowed = await pageOperator(PAGE_ROLES['/certificates']!, 'see certificates');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('caCertificates');
  const format = await getFormatter();
  const query = await searchParams;
  const search = parseQuery(query);
  const found = search.ok ? await searchCertificates((await consoleServices()).ca, search.value) : null;
  const keep = Object.fromEntries(Object.entries(query).filter(([k, v]) => k !== 'page' && typeof v === 'string' && v !== '')) as Record<string, string>;
  const select = (name: string, value: string | undefined, options: readonly { value: string; label: string }[]) => (
    <div>
      <label htmlFor={name} className={labelClass}>{t(`filter.${name}` as 'filter.status')}</label>
      <select id={name} name={name} defaultValue={value ?? ''} className={inputClass} {...(!search.ok && search.error.field === name ? { 'aria-invalid': true } : {})}>
        {options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    </div>
  );
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <form method="get" className={`${cardClass} grid grid-cols-1 gap-3 sm:grid-cols-2 lg:grid-cols-4`} aria-label={t('searchLabel')}>
        {(['number', 'issuer'] as const).map((name) => (
          <div key={name}>
            <label htmlFor={name} className={labelClass}>{t(`filter.${name}`)}</label>
            <input id={name} name={name} defaultValue={query[name] ?? ''} className={`${inputClass} font-mono`} autoComplete="off" spellCheck={false} {...(!search.ok && search.error.field === name ? { 'aria-invalid': true } : {})} />
          </div>
        ))}
        {select('status', query.status, [{ value: '', label: t('any') }, ...STATUSES.map((s) => ({ value: s, label: t(`status.${s}`) }))])}
        {select('expiring', query.expiring, [{ value: '', label: t('any') }, ...EXPIRY_WARNING_DAYS.map((d) => ({ value: String(d), label: t('tier', { days: d }) }))])}
        {select('sort', query.sort, CERTIFICATE_SORTS.map((s) => ({ value: s, label: t(`sort.${s}`) })))}
        {select('order', query.order, [{ value: 'asc', label: t('ascending') }, { value: 'desc', label: t('descending') }])}
        <div className="flex items-end">
          <button type="submit" className={buttonClass}>{t('search')}</button>
        </div>
      </form>
      {!search.ok ? <FormErrorStatic error={search.error} /> : null}
      {found ? (
        <div className={`${cardClass} overflow-x-auto`}>
          <p className="mb-2 text-sm text-slate-700" data-testid="certificate-total">{t('total', { total: found.total, page: found.page, pages: found.pages })}</p>
          <table className={tableClass} data-testid="certificates">
            <caption className="sr-only">{t('title')}</caption>
            <thead>
              <tr className="border-b border-slate-300">
                <th scope="col" className={thClass}>{t('number')}</th>
                <th scope="col" className={thClass}>{t('issuer')}</th>
                <th scope="col" className={thClass}>{t('serial')}</th>
                <th scope="col" className={thClass}>{t('expiry')}</th>
                <th scope="col" className={thClass}>{t('statusLabel')}</th>
                <th scope="col" className={thClass}>{t('rootKey')}</th>
                <th scope="col" className={thClass}>{t('issued')}</th>
              </tr>
            </thead>
            <tbody>
              {found.rows.map((c) => (
                <tr key={c.number} className="border-b border-slate-200" data-number={c.number}>
                  <td className={tdClass}><Link href={`/certificates/${c.number}`} className="font-mono text-sky-800 underline">{c.number}</Link></td>
                  <td className={`${tdClass} font-mono`}>{c.issuerId}</td>
                  <td className={tdClass}>{c.serial}</td>
                  <td className={`${tdClass} font-mono`}>{c.expiry}</td>
                  <td className={tdClass}>{t(`status.${c.status}`)}</td>
                  <td className={`${tdClass} font-mono`}>{c.rootKeyIndex}</td>
                  <td className={tdClass}>{cstTime(format, c.issuedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <Pagination path="/certificates" query={keep} page={found.page} pages={found.pages} labels={{ nav: t('pages'), previous: t('previous'), next: t('next'), page: t('pageOf', { page: found.page, pages: found.pages }) }} />
        </div>
      ) : null}
    </div>
  );
}
