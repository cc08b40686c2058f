import { getFormatter, getLocale, getTranslations } from 'next-intl/server';
import { ExpiryTimeline } from '../../components/ExpiryTimeline';
import { FormErrorStatic } from '../../components/FormErrorStatic';
import { cardClass } from '../../components/ui';
import { errorText } from '../../i18n/errorText';
import type { Locale } from '../../i18n/locales';
import { readDashboard } from '../../lib/ca';
import { consoleServices } from '../../lib/server/ca';
import { pageSession } from '../../lib/server/session';

function Stat({ title, value }: { title: string; value: string }) {
  return (
    <div className={cardClass}>
      <h2 className="text-sm font-medium text-slate-600">{title}</h2>
      <p className="mt-1 text-base font-semibold text-slate-900">{value}</p>
    </div>
  );
}

export default async function DashboardPage() {
  const session = await pageSession();
  const t = await getTranslations('dashboard');
  const format = await getFormatter();
  const read = await readDashboard((await consoleServices()).ca, session.operator);
  if (!read.ok) return <FormErrorStatic error={read.error} />;
  const d = read.value;
  const hsm = d.hsm;
  return (
    <div className="space-y-6">
      <div>
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="text-sm text-slate-600">{t('asOf', { at: format.dateTime(d.at, { dateStyle: 'medium', timeStyle: 'medium' }) })}</p>
      </div>
      <div className="grid grid-cols-1 gap-4 sm:grid-cols-2 lg:grid-cols-3">
        <Stat title={t('operators')} value={t('operatorsValue', d.operators)} />
        <Stat title={t('institutions')} value={t('institutionsValue', { active: d.institutions.ACTIVE, suspended: d.institutions.SUSPENDED, withdrawn: d.institutions.WITHDRAWN })} />
        <Stat title={t('rootKeys')} value={t('rootKeysValue', { active: d.rootKeys.ACTIVE, pending: d.rootKeys.PENDING, retired: d.rootKeys.RETIRED, expired: d.rootKeys.EXPIRED })} />
        <Stat title={t('certificates')} value={t('certificatesValue', { active: d.certificates.active, revoked: d.certificates.revoked, expired: d.certificates.expired })} />
        <Stat title={t('expiringTitle')} value={t('expiringValue', { d7: d.certificates.expiring[7], d30: d.certificates.expiring[30], d90: d.certificates.expiring[90] })} />
        <Stat title={t('openTitle')} value={t('openValue', { review: d.open.requestsToReview, issue: d.open.requestsToIssue, ceremonies: d.open.ceremonies })} />
      </div>
      <section className={cardClass} aria-labelledby="hsm-title">
        <h2 id="hsm-title" className="text-lg font-semibold">{t('hsmTitle')}</h2>
        <p className={hsm.ok ? 'mt-1 text-emerald-800' : 'mt-1 text-red-800'} data-testid="hsm-health">
          {hsm.ok
            ? t('hsmOk', { latency: format.number(hsm.latencyMs ?? 0, { maximumFractionDigits: 1 }) })
            : t('hsmDown', { error: hsm.error ? `${hsm.error.code}: ${errorText(hsm.error, (await getLocale()) as Locale)}` : '' })}
        </p>
      </section>
      <section className={cardClass}>
        <ExpiryTimeline at={d.at} items={d.expiring} horizonDays={d.horizonDays} />
      </section>
    </div>
  );
}
