import { getTranslations } from 'next-intl/server';
import { PasswordForm } from '../../../../components/PasswordForm';
import { cardClass } from '../../../../components/ui';
import { pageSession } from '../../../../lib/server/session';

export default async function PasswordPage() {
  const session = await pageSession({ pending: true });
  const t = await getTranslations('password');
  return (
    <section className={cardClass} aria-labelledby="password-title">
      <h1 id="password-title" className="mb-2 text-xl font-semibold">{t('title')}</h1>
      {session.passwordChangeRequired ? <p className="mb-4 rounded bg-amber-50 px-3 py-2 text-sm text-amber-900">{t('forced')}</p> : null}
      <PasswordForm />
    </section>
  );
}
