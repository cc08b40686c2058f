/** Field codecs: BCD n and cn, MMYY / YYMMDD expiry and their CST semantics. */
import { describe, expect, it } from 'vitest';
import { toHex } from '../bytes';
import { unwrap } from '../errors';
import { decodeCompressedNumeric, decodeNumeric, encodeCompressedNumeric, encodeNumeric } from './bcd';
import { expiryDay, expiryMonth } from './expiry';
import { expectEncodeError, expectError, hex } from './testSupport';

describe('BCD', () => {
  it('n6 amount in fen: 2000 fen is 00 20 00', () => {
    expect(toHex(encodeNumeric(2000, 3, 'limit'))).toBe('002000');
    expect(unwrap(decodeNumeric(hex('999999'), 'limit'))).toBe(999_999);
  });

  it('n refuses non-decimal nibbles, naming the byte', () => {
    expectError(decodeNumeric(hex('0020a0'), 'limit'), 'BCD_INVALID', 'limit', 2);
    expectError(decodeNumeric(hex('f02000'), 'limit'), 'BCD_INVALID', 'limit', 0);
  });

  it('n refuses values that do not fit', () => {
    expectEncodeError(() => encodeNumeric(1_000_000, 3, 'limit'), 'VALUE_RANGE', 'limit', 0);
    expectEncodeError(() => encodeNumeric(-1, 3, 'limit'), 'VALUE_RANGE', 'limit', 0);
    expectEncodeError(() => encodeNumeric(1.5, 3, 'limit'), 'VALUE_RANGE', 'limit', 0);
  });

  it('cn20 card number: left-justified, F-padded', () => {
    expect(toHex(encodeCompressedNumeric('31040000000000000001', 10, 'card'))).toBe('31040000000000000001');
    expect(toHex(encodeCompressedNumeric('123', 10, 'card'))).toBe('123fffffffffffffffff');
    expect(unwrap(decodeCompressedNumeric(hex('123fffffffffffffffff'), 'card'))).toBe('123');
  });

  it('cn refuses a digit after the padding, a non-F pad nibble, and no digits', () => {
    expectError(decodeCompressedNumeric(hex('123ff1ffffffffffffff'), 'card'), 'BCD_INVALID', 'card', 2);
    expectError(decodeCompressedNumeric(hex('123fffffffffffffffea'), 'card'), 'BCD_INVALID', 'card', 9);
    expectError(decodeCompressedNumeric(hex('ffffffffffffffffffff'), 'card'), 'BCD_INVALID', 'card', 0);
    expectEncodeError(() => encodeCompressedNumeric('12a', 10, 'card'), 'VALUE_RANGE', 'card', 0);
    expectEncodeError(() => encodeCompressedNumeric('', 10, 'card'), 'VALUE_RANGE', 'card', 0);
  });
});

describe('certificate expiry MMYY', () => {
  it('1227 is December 2027, valid through 2027-12-31 23:59:59.999 CST', () => {
    const expiry = unwrap(expiryMonth.decode(hex('1227')));
    expect(expiry).toEqual({ year: 2027, month: 12 });
    expect(expiryMonth.end(expiry).toISOString()).toBe('2027-12-31T15:59:59.999Z');
    expect(expiryMonth.isExpired(expiry, new Date('2027-12-31T23:59:59.999+08:00'))).toBe(false);
    expect(expiryMonth.isExpired(expiry, new Date('2028-01-01T00:00:00+08:00'))).toBe(true);
  });

  it('the last day of February follows leap years', () => {
    expect(expiryMonth.end({ year: 2028, month: 2 }).toISOString()).toBe('2028-02-29T15:59:59.999Z');
    expect(expiryMonth.end({ year: 2027, month: 2 }).toISOString()).toBe('2027-02-28T15:59:59.999Z');
  });

  it('is CST, not UTC: 1 January 00:30 CST is already the next month', () => {
    expect(expiryMonth.isExpired({ year: 2027, month: 12 }, new Date('2027-12-31T16:30:00Z'))).toBe(true);
  });

  it('decoding reports bad BCD and months with offsets', () => {
    expectError(expiryMonth.decode(hex('1a27')), 'BCD_INVALID', 'expiry', 0);
    expectError(expiryMonth.decode(hex('122f')), 'BCD_INVALID', 'expiry', 1);
    expectError(expiryMonth.decode(hex('0027')), 'MONTH_INVALID', 'expiry', 0);
    expectError(expiryMonth.decode(hex('1327')), 'MONTH_INVALID', 'expiry', 0);
  });

  it('YY ≥ 50 is refused in both directions', () => {
    expectError(expiryMonth.decode(hex('0150')), 'EXPIRY_RANGE', 'expiry', 1);
    expectError(expiryMonth.decode(hex('1299')), 'EXPIRY_RANGE', 'expiry', 1);
    expect(unwrap(expiryMonth.decode(hex('1249')))).toEqual({ year: 2049, month: 12 });
    expectEncodeError(() => expiryMonth.encode({ year: 2050, month: 1 }), 'EXPIRY_RANGE', 'expiry', 1);
    expectEncodeError(() => expiryMonth.encode({ year: 1999, month: 12 }), 'EXPIRY_RANGE', 'expiry', 1);
    expectEncodeError(() => expiryMonth.encode({ year: 2027, month: 13 }), 'MONTH_INVALID', 'expiry', 0);
    expect(toHex(expiryMonth.encode({ year: 2049, month: 12 }))).toBe('1249');
  });
});

describe('root-key expiry YYMMDD', () => {
  it('301231 is valid through 2030-12-31 23:59:59.999 CST', () => {
    const expiry = unwrap(expiryDay.decode(hex('301231')));
    expect(expiry).toEqual({ year: 2030, month: 12, day: 31 });
    expect(expiryDay.end(expiry).toISOString()).toBe('2030-12-31T15:59:59.999Z');
    expect(expiryDay.isExpired(expiry, new Date('2030-12-31T16:00:00Z'))).toBe(true);
  });

  it('refuses days that do not exist, with offsets', () => {
    expectError(expiryDay.decode(hex('270229')), 'DAY_INVALID', 'expiry', 2);
    expectError(expiryDay.decode(hex('300431')), 'DAY_INVALID', 'expiry', 2);
    expectError(expiryDay.decode(hex('301200')), 'DAY_INVALID', 'expiry', 2);
    expectError(expiryDay.decode(hex('301331')), 'MONTH_INVALID', 'expiry', 1);
    expectError(expiryDay.decode(hex('3012a1')), 'BCD_INVALID', 'expiry', 2);
    expectEncodeError(() => expiryDay.encode({ year: 2027, month: 2, day: 29 }), 'DAY_INVALID', 'expiry', 2);
    expectEncodeError(() => expiryDay.encode({ year: 2027, month: 13, day: 1 }), 'MONTH_INVALID', 'expiry', 1);
    expectEncodeError(() => expiryDay.encode({ year: 2050, month: 1, day: 1 }), 'EXPIRY_RANGE', 'expiry', 0);
  });
});
