import { getTranslations } from 'next-intl/server';
import { redirect } from 'next/navigation';
import { LanguageSwitch } from '../../components/LanguageSwitch';
import { SignInForm } from '../../components/SignInForm';
import { cardClass } from '../../components/ui';
import { currentSession } from '../../lib/server/session';

// A session that ended (idle, lifetime) arrives here with its code; anything else is not echoed.
const SHOWN = new Set(['SESSION_EXPIRED', 'OPERATOR_DISABLED']);

export default async function SignInPage({ searchParams }: { searchParams: Promise<{ error?: string }> }) {
  if ((await currentSession()).ok) redirect('/');
  const t = await getTranslations();
  const { error } = await searchParams;
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6 py-12">
      <div className="mb-6 flex items-center justify-between">
        <p className="text-sm font-medium tracking-wide text-slate-600">TQ-CERT-1</p>
        <LanguageSwitch />
      </div>
      <div className={cardClass}>
        <h1 className="text-2xl font-semibold">{t('signIn.title')}</h1>
        <p className="mt-1 mb-6 text-sm text-slate-600">{t('app.title')} · {t('signIn.intro')}</p>
        <SignInForm initialError={error && SHOWN.has(error) ? error : undefined} />
      </div>
    </main>
  );
}
