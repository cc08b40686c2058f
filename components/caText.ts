// Formatting shared by the officer screens: instants in CST (the console's time zone), operator names.
import type { OperatorName } from '../lib/ca';

import type { getFormatter } from 'next-intl/server';

type DateFormatter = Pick<Awaited<ReturnType<typeof getFormatter>>, 'dateTime'>;

/** An ISO instant as the console shows it: the i18n time zone is Asia/Shanghai, said as CST. */
export const cstTime = (format: DateFormatter, iso: string | Date): string =>
  `${format.dateTime(typeof iso === 'string' ? new Date(iso) : iso, { dateStyle: 'medium', timeStyle: 'medium', hourCycle: 'h23' })} CST`;

export const nameOf = (names: ReadonlyMap<number, OperatorName>, id: number | null): string => {
  if (id === null) return '—';
  const n = names.get(id);
  return n ? `${n.displayName} (${n.username})` : `#${id}`;
};

export const tableClass = 'w-full text-left text-sm';
export const thClass = 'py-2 pr-4 font-semibold';
export const tdClass = 'py-2 pr-4 align-top';
/** Hex that may wrap anywhere (check values, keys, records), so tables fit a tablet. */
export const hexClass = 'font-mono text-xs break-all';
