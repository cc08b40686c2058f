/**
 * Calendar arithmetic in China Standard Time (UTC+8, no daylight saving), the clock terminals
 * use; the instants at which MMYY and YYMMDD expiries end come from lib/codec's `expiryMonth`
 * and `expiryDay`.
 */
import type { CalendarMonth } from '../codec';

const CST_OFFSET_MS = 8 * 3_600_000;

export const DAY_MS = 86_400_000;

/** The CST calendar month an instant falls in. */
export function cstMonthOf(at: Date): CalendarMonth {
  const shifted = new Date(at.getTime() + CST_OFFSET_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 };
}

/** Months from `from` to `to` (positive when `to` is later). */
export const monthsBetween = (from: CalendarMonth, to: CalendarMonth): number =>
  (to.year - from.year) * 12 + (to.month - from.month);

/** MMYY, as the certificate and the A1 record carry the expiry. */
export const formatExpiryMonth = ({ year, month }: CalendarMonth): string => `${String(month).padStart(2, '0')}${String(year % 100).padStart(2, '0')}`;
