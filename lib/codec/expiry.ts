/**
 * Expiry dates in China Standard Time (UTC+8, no daylight saving).
 *
 * Certificate expiry is BCD MMYY, valid through 23:59:59 CST on the last day of MM/20YY
 * (TQ-CERT-1 §4, EMV semantics). The console never writes YY ≥ 50, where EMV's pivot would
 * read 19YY; both directions refuse it (EXPIRY_RANGE), so the codec is a bijection on
 * 2000–2049 and every decoded value can be re-encoded to rebuild what was signed.
 * Root-key expiry (A2) is BCD YYMMDD, valid through 23:59:59 CST on that day, same year rule.
 */
import { err, ok, type Result } from '../errors';
import { decodeNumeric, encodeNumeric } from './bcd';
import { encodeStructure, fail } from './structure';

const CST_OFFSET_MS = 8 * 3_600_000;

export interface CalendarMonth {
  /** Full year, e.g. 2027. */
  readonly year: number;
  /** 1–12. */
  readonly month: number;
}

export interface CalendarDay extends CalendarMonth {
  /** 1–31, a day that exists in that month. */
  readonly day: number;
}

const yearError = (field: string, offset: number, yy: number) =>
  err('EXPIRY_RANGE', `${field}: YY ${yy} ≥ 50 is outside TQ-CERT-1 (EMV would read 19${yy}: expired)`, { field, offset, details: { yy } });

/** Byte of each part within its encoding, so encode errors point where decode errors do. */
interface PartOffsets {
  readonly year: number;
  readonly month: number;
  readonly day: number;
}
const MMYY: PartOffsets = { month: 0, year: 1, day: 0 }; // no day byte: encoded as day 1, never invalid
const YYMMDD: PartOffsets = { year: 0, month: 1, day: 2 };

function checkEncodable(value: CalendarDay, field: string, at: PartOffsets): void {
  const { year, month, day } = value;
  if (!Number.isInteger(year) || year < 2000 || year > 2049) {
    fail('EXPIRY_RANGE', `${field}: year must be 2000–2049 (YY < 50), got ${year}`, { field, offset: at.year, details: { year } });
  }
  if (!Number.isInteger(month) || month < 1 || month > 12) {
    fail('MONTH_INVALID', `${field}: month must be 1–12, got ${month}`, { field, offset: at.month, details: { month } });
  }
  if (!isRealDay(value)) fail('DAY_INVALID', `${field}: ${year}-${month}-${day} is not a day`, { field, offset: at.day, details: { day } });
}

/** True when the day exists in the Gregorian calendar (rejects 31 April, 29 February 2027). */
function isRealDay({ year, month, day }: CalendarDay): boolean {
  if (!Number.isInteger(day) || day < 1) return false;
  return day <= new Date(Date.UTC(year, month, 0)).getUTCDate();
}

/** Two BCD digits per byte, each byte decoded on its own so an error names its offset. */
function decodeBcdBytes(bytes: Uint8Array, field: string): Result<number[]> {
  const values: number[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const v = decodeNumeric(bytes.subarray(i, i + 1), field);
    if (!v.ok) return err(v.error.code, v.error.message, { field, offset: i });
    values.push(v.value);
  }
  return ok(values);
}

const monthError = (field: string, offset: number, month: number) =>
  err('MONTH_INVALID', `${field}: month ${month.toString().padStart(2, '0')} is not 01–12`, { field, offset, details: { month } });

export const expiryMonth = {
  /** MMYY, 2 bytes. */
  encode(value: CalendarMonth, field = 'expiry'): Uint8Array {
    return encodeStructure(() => {
      checkEncodable({ ...value, day: 1 }, field, MMYY);
      return Uint8Array.of(...encodeNumeric(value.month, 1, field), ...encodeNumeric(value.year % 100, 1, field));
    });
  },

  decode(bytes: Uint8Array, field = 'expiry'): Result<CalendarMonth> {
    const v = decodeBcdBytes(bytes, field);
    if (!v.ok) return v;
    const [month, yy] = v.value;
    if (month < 1 || month > 12) return monthError(field, MMYY.month, month);
    if (yy >= 50) return yearError(field, MMYY.year, yy);
    return ok({ year: 2000 + yy, month });
  },

  /** The last millisecond the certificate is valid: 23:59:59.999 CST on the month's last day. */
  end({ year, month }: CalendarMonth): Date {
    return new Date(Date.UTC(year, month, 1) - CST_OFFSET_MS - 1);
  },

  isExpired(value: CalendarMonth, at: Date): boolean {
    return at.getTime() > expiryMonth.end(value).getTime();
  },
};

export const expiryDay = {
  /** YYMMDD, 3 bytes. */
  encode(value: CalendarDay, field = 'expiry'): Uint8Array {
    return encodeStructure(() => {
      checkEncodable(value, field, YYMMDD);
      return Uint8Array.of(...[value.year % 100, value.month, value.day].flatMap((v) => [...encodeNumeric(v, 1, field)]));
    });
  },

  decode(bytes: Uint8Array, field = 'expiry'): Result<CalendarDay> {
    const v = decodeBcdBytes(bytes, field);
    if (!v.ok) return v;
    const [yy, month, day] = v.value;
    if (yy >= 50) return yearError(field, YYMMDD.year, yy);
    if (month < 1 || month > 12) return monthError(field, YYMMDD.month, month);
    const value = { year: 2000 + yy, month, day };
    if (!isRealDay(value)) return err('DAY_INVALID', `${field}: ${month}/${day} is not a day of ${value.year}`, { field, offset: YYMMDD.day, details: { day } });
    return ok(value);
  },

  /** The last millisecond of that CST day. */
  end({ year, month, day }: CalendarDay): Date {
    return new Date(Date.UTC(year, month - 1, day + 1) - CST_OFFSET_MS - 1);
  },

  isExpired(value: CalendarDay, at: Date): boolean {
    return at.getTime() > expiryDay.end(value).getTime();
  },
};
