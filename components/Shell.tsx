// The console's frame: skip link, navigation by role, language switch, the operator, sign-out.
import { getTranslations } from 'next-intl/server';
import Link from 'next/link';
import type { ReactNode } from 'react';
import { sessionComplete, type ConsoleSession } from '../lib/ca';
import { LanguageSwitch } from './LanguageSwitch';
import { navigationFor } from './navigation';
import { SignOutButton } from './SignOutButton';

export async function Shell({ session, children }: { session: ConsoleSession; children: ReactNode }) {
  const t = await getTranslations();
  const { operator } = session;
  const items = sessionComplete(session) ? navigationFor(operator.roles) : [];
  return (
    <>
      <a href="#main" className="sr-only focus:not-sr-only focus:absolute focus:left-2 focus:top-2 focus:z-10 focus:rounded focus:bg-white focus:px-3 focus:py-2">
        {t('app.skipToContent')}
      </a>
      <header className="border-b border-slate-200 bg-white">
        <div className="mx-auto flex max-w-6xl flex-wrap items-center justify-between gap-3 px-4 py-3">
          <p className="font-semibold">{t('app.title')}</p>
          <div className="flex flex-wrap items-center gap-3">
            <p className="text-sm text-slate-700">
              <span className="sr-only">{t('nav.signedInAs')} </span>
              <span className="font-medium">{operator.displayName}</span> <span className="font-mono text-xs">({operator.username})</span>{' '}
              <span className="text-slate-600">{operator.roles.map((r) => t(`nav.roles.${r}`)).join(' · ')}</span>
            </p>
            <LanguageSwitch />
            <SignOutButton />
          </div>
        </div>
        {items.length > 0 ? (
          <nav aria-label={t('app.mainNav')} className="mx-auto max-w-6xl px-4">
            <ul className="flex flex-wrap gap-1 pb-2">
              {items.map((item) => (
                <li key={item.href}>
                  <Link href={item.href} className="block rounded px-3 py-2 text-sm font-medium text-slate-800 hover:bg-slate-100 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700">
                    {t(`nav.${item.label}` as 'nav.dashboard')}
                  </Link>
                </li>
              ))}
            </ul>
          </nav>
        ) : null}
      </header>
      <main id="main" className="mx-auto max-w-6xl px-4 py-6">
        {children}
      </main>
    </>
  );
}
