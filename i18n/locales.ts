/** The console's languages: Chinese by default, English on request, remembered in a cookie. */
export const LOCALES = ['zh-CN', 'en'] as const;
export type Locale = (typeof LOCALES)[number];
export const DEFAULT_LOCALE: Locale = 'zh-CN';
export const LOCALE_COOKIE = 'tqca.locale';
/** Every date and time the console shows is China Standard Time. */
export const TIME_ZONE = 'Asia/Shanghai';

export const isLocale = (value: unknown): value is Locale => LOCALES.includes(value as Locale);
