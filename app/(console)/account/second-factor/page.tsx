import { getTranslations } from 'next-intl/server';
import { redirect } from 'next/navigation';
import QRCode from 'qrcode';
import { EnrolForm } from '../../../../components/EnrolForm';
import { FormErrorStatic } from '../../../../components/FormErrorStatic';
import { cardClass } from '../../../../components/ui';
import { beginEnrolment, pendingEnrolment } from '../../../../lib/ca';
import { consoleServices } from '../../../../lib/server/ca';
import { pageSession } from '../../../../lib/server/session';

export default async function SecondFactorPage() {
  const session = await pageSession({ pending: true });
  if (session.passwordChangeRequired) redirect('/account/password');
  const t = await getTranslations('enrol');
  if (!session.enrolmentRequired) {
    return (
      <section className={cardClass}>
        <h1 className="text-xl font-semibold">{t('title')}</h1>
        <p className="mt-2">{t('enrolled')}</p>
      </section>
    );
  }
  const { auth } = await consoleServices();
  // A reload shows the enrolment under way rather than replacing the secret just scanned.
  const pending = await pendingEnrolment(auth, session.operator);
  const enrolment = pending.ok && pending.value ? pending : await beginEnrolment(auth, session.operator);
  if (!enrolment.ok || !enrolment.value) {
    return <FormErrorStatic error={enrolment.ok ? undefined : enrolment.error} />;
  }
  const { secret, uri } = enrolment.value;
  const qr = await QRCode.toString(uri, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
  return (
    <section className={cardClass} aria-labelledby="enrol-title">
      <h1 id="enrol-title" className="text-xl font-semibold">{t('title')}</h1>
      <p className="mt-2 max-w-prose text-sm text-slate-700">{t('intro')}</p>
      <div className="mt-4 flex flex-col gap-6 md:flex-row">
        {/* The SVG is generated here from our own otpauth URI: no markup from outside. */}
        <figure role="img" aria-label={t('qr')} className="h-56 w-56 shrink-0 bg-white" dangerouslySetInnerHTML={{ __html: qr }} />
        <div className="space-y-4">
          <div>
            <p className="text-sm font-medium text-slate-800">{t('manualKey')}</p>
            <p className="mt-1 font-mono text-base tracking-wider break-all" data-testid="totp-secret">{secret}</p>
          </div>
          <EnrolForm />
        </div>
      </div>
    </section>
  );
}
