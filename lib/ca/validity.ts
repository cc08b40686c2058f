/**
 * Validity instants in China Standard Time (UTC+8, no daylight saving), the clock terminals
 * and the profile use: a certificate's MMYY is valid through 23:59:59 CST on the last day of
 * that month (TQ-CERT-1 §4), a root key's YYMMDD through 23:59:59 CST of that day (§9).
 */
const CST_OFFSET_MS = 8 * 3_600_000;

export interface CalendarMonth {
  /** Full year, e.g. 2027. */
  readonly year: number;
  /** 1–12. */
  readonly month: number;
}

export interface CalendarDay extends CalendarMonth {
  /** 1–31. */
  readonly day: number;
}

/** The CST calendar month an instant falls in. */
export function cstMonthOf(at: Date): CalendarMonth {
  const shifted = new Date(at.getTime() + CST_OFFSET_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1 };
}

/** The CST calendar day an instant falls in. */
export function cstDayOf(at: Date): CalendarDay {
  const shifted = new Date(at.getTime() + CST_OFFSET_MS);
  return { year: shifted.getUTCFullYear(), month: shifted.getUTCMonth() + 1, day: shifted.getUTCDate() };
}

/** Months from `from` to `to` (positive when `to` is later). */
export const monthsBetween = (from: CalendarMonth, to: CalendarMonth): number =>
  (to.year - from.year) * 12 + (to.month - from.month);

/** The last millisecond of a CST month: when a certificate with this MMYY stops being valid. */
export function endOfCstMonth({ year, month }: CalendarMonth): Date {
  return new Date(Date.UTC(year, month, 1) - CST_OFFSET_MS - 1);
}

/** The last millisecond of a CST day: when a root key with this YYMMDD stops being valid. */
export function endOfCstDay({ year, month, day }: CalendarDay): Date {
  return new Date(Date.UTC(year, month - 1, day + 1) - CST_OFFSET_MS - 1);
}

/** True when the day exists in the Gregorian calendar (rejects 31 April, 29 February 2027). */
export function isRealDay({ year, month, day }: CalendarDay): boolean {
  const d = new Date(Date.UTC(year, month - 1, day));
  return d.getUTCFullYear() === year && d.getUTCMonth() === month - 1 && d.getUTCDate() === day;
}

export const DAY_MS = 86_400_000;
