// Published bundle versions, newest first, paged by the database: time, counts, body SM3 and what
// each changed against its predecessor; the current version's expiry and the next scheduled publication.
import { getFormatter, getTranslations } from 'next-intl/server';
import Link from 'next/link';
import { cstTime, hexClass, tdClass } from '../../../components/caText';
import { DataTable, rowClass } from '../../../components/DataTable';
import { FormErrorStatic } from '../../../components/FormErrorStatic';
import { Pagination } from '../../../components/Pagination';
import { cardClass } from '../../../components/ui';
import { toHex } from '../../../lib/bytes';
import { Code, err } from '../../../lib/errors';
import { bundlePage, publicationOutlook, type ExpiryTier } from '../../../lib/publication';
import { PAGE_ROLES } from '../../../lib/server/access';
import { serverCa } from '../../../lib/server/ca';
import { pageOperator } from '../../../lib/server/session';
import { ChangeSummary } from './changeSummary';

const TIER_CLASS: Readonly<Record<ExpiryTier, string>> = {
  current: 'border-emerald-300 bg-emerald-50 text-emerald-900',
  expiring: 'border-amber-400 bg-amber-50 text-amber-900',
  expired: 'border-red-400 bg-red-50 text-red-900',
};

export default async function BundlesPage({ searchParams }: { searchParams: Promise<{ page?: string }> }) {
  const allowed = await pageOperator(PAGE_ROLES['/bundles']!, 'see bundles');
  if (!allowed.ok) return <FormErrorStatic error={allowed.error} />;
  const t = await getTranslations('bundles');
  const format = await getFormatter();
  const { page } = await searchParams;
  if (page !== undefined && !/^[1-9]\d{0,6}$/.test(page)) return <FormErrorStatic error={err(Code.FORM_INVALID, 'page must be a whole number from 1', { field: 'page' }).error} />;
  const { ca, publicationPolicy } = await serverCa();
  const [found, outlook] = await Promise.all([bundlePage(ca, page ? Number(page) : 1), publicationOutlook(ca, publicationPolicy)]);
  if (!found.ok) return <FormErrorStatic error={found.error} />;
  const { rows, total, pages } = found.value;
  return (
    <div className="space-y-6">
      <h1 className="text-2xl font-semibold">{t('title')}</h1>
      <section className={cardClass} aria-labelledby="outlook-title">
        <h2 id="outlook-title" className="text-lg font-semibold">{t('outlookTitle')}</h2>
        {outlook ? (
          <div className={`mt-3 rounded-md border p-3 text-sm ${TIER_CLASS[outlook.tier]}`} data-testid="bundle-expiry" data-tier={outlook.tier} role={outlook.tier === 'current' ? undefined : 'alert'}>
            <p className="font-semibold">{t(`tier.${outlook.tier}`, { version: outlook.version })}</p>
            <dl className="mt-1 grid grid-cols-1 gap-x-4 sm:grid-cols-[max-content_1fr]">
              <dt>{t('expiresAt')}</dt>
              <dd>{cstTime(format, outlook.expiresAt)}</dd>
              <dt>{t('nextScheduled')}</dt>
              <dd data-testid="next-publication">{cstTime(format, outlook.nextScheduledAt)}</dd>
            </dl>
            <p className="mt-1 text-xs">{t('scheduleRule', { leadHours: publicationPolicy.leadSeconds / 3600, lifetimeHours: publicationPolicy.lifetimeSeconds / 3600 })}</p>
          </div>
        ) : (
          <p className="mt-2 text-sm text-slate-700">{t('none')}</p>
        )}
      </section>
      <section className={cardClass} aria-labelledby="versions-title">
        <h2 id="versions-title" className="text-lg font-semibold">{t('versionsTitle')}</h2>
        <p className="mt-1 text-sm text-slate-700">{t('total', { total, page: found.value.page, pages })}</p>
        <DataTable
          testId="bundles"
          caption={t('versionsTitle')}
          columns={[t('version'), t('publishedAt'), t('reasonLabel'), t('counts'), t('bodySm3'), t('changes')]}
        >
          {rows.map((b) => (
            <tr key={b.version} className={rowClass} data-testid="bundle-row" data-version={b.version}>
              <td className={tdClass}><Link href={`/bundles/${b.version}`} className="font-mono text-sky-800 underline">{b.version}</Link></td>
              <td className={tdClass}>{cstTime(format, b.publishedAt)}</td>
              <td className={tdClass}>{t(`reason.${b.reason}` as 'reason.operator')}</td>
              <td className={tdClass}>{t('countsValue', { a2: b.a2Count, a3: b.a3Count, a4: b.a4Count })}</td>
              <td className={`${tdClass} ${hexClass} max-w-48`}>{toHex(b.bodySm3)}</td>
              <td className={tdClass}><ChangeSummary changes={b.changes} t={t} /></td>
            </tr>
          ))}
        </DataTable>
        <Pagination path="/bundles" query={{}} page={found.value.page} pages={pages} labels={{ nav: t('pages'), previous: t('previous'), next: t('next'), page: t('pageOf', { page: found.value.page, pages }) }} />
      </section>
    </div>
  );
}
