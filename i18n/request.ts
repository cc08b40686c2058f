// next-intl's per-request configuration (no locale in the URL: the cookie decides).
import { cookies } from 'next/headers';
import { getRequestConfig } from 'next-intl/server';
import { DEFAULT_LOCALE, isLocale, LOCALE_COOKIE, TIME_ZONE } from './locales';

export default getRequestConfig(async () => {
  const chosen = (await cookies()).get(LOCALE_COOKIE)?.value;
  const locale = isLocale(chosen) ? chosen : DEFAULT_LOCALE;
  return { locale, timeZone: TIME_ZONE, messages: (await import(`../messages/${locale}.json`)).default };
});
