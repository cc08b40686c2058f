// Switches the console's language (a cookie, through a server action); works without JavaScript.
import { getLocale, getTranslations } from 'next-intl/server';
import { setLocale } from '../app/actions';
import { LOCALES } from '../i18n/locales';

const NAMES = { 'zh-CN': '中文', en: 'English' } as const;

export async function LanguageSwitch() {
  const current = await getLocale();
  const t = await getTranslations('app');
  return (
    <form action={setLocale} className="flex items-center gap-1 text-sm" aria-label={t('language')}>
      {LOCALES.map((locale) => (
        <button
          key={locale}
          name="locale"
          value={locale}
          lang={locale}
          aria-pressed={current === locale}
          className="rounded px-2 py-1 text-slate-700 hover:bg-slate-200 focus:outline-none focus-visible:ring-2 focus-visible:ring-sky-700 aria-pressed:bg-slate-800 aria-pressed:text-white"
        >
          {NAMES[locale]}
        </button>
      ))}
    </form>
  );
}
