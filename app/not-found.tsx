// The console's own answer to an unknown address: Next's built-in 404 page sets inline styles,
// which the console's CSP blocks (every unknown URL logged CSP violations in the browser).
import Link from 'next/link';
import { getTranslations } from 'next-intl/server';
import { cardClass } from '../components/ui';

export default async function NotFound() {
  const t = await getTranslations('notFound');
  return (
    <main className="mx-auto flex min-h-screen max-w-md flex-col justify-center px-6 py-12">
      <div className={cardClass} data-testid="not-found">
        <h1 className="text-2xl font-semibold">{t('title')}</h1>
        <p className="mt-2 text-sm text-slate-700">{t('body')}</p>
        <Link href="/" className="mt-4 inline-block text-sm font-medium text-sky-800 underline underline-offset-2 hover:text-sky-900 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700">
          {t('home')}
        </Link>
      </div>
    </main>
  );
}
