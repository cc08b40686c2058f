/** An institution's name in the console's language: the English name when there is one and English is chosen. */
export const institutionName = (i: { readonly nameZh: string; readonly nameEn: string | null }, locale: string): string => (locale === 'en' && i.nameEn ? i.nameEn : i.nameZh);
