/**
 * JSON building blocks for decoded structures. Identifiers are shown as the hex the bytes carry
 * (`uintToBytes(id, 4)` renders `00001001`, as `--issuer` takes it), timestamps as instants,
 * signatures split into r and s.
 */
import type { Sm2PublicKey } from '../crypto/sm2';
import { expiryDay, expiryMonth, type CalendarDay, type CalendarMonth } from '../codec';
import type { JsonObject } from './command';

export const hexByte = (value: number): string => value.toString(16).padStart(2, '0');

/** A uint32 Unix-seconds field. */
export const unixTime = (seconds: number): Date => new Date(seconds * 1000);

export const signatureView = (rs: Uint8Array): JsonObject => ({ r: rs.subarray(0, 32), s: rs.subarray(32) });

export const keyView = (key: Sm2PublicKey): JsonObject => ({ x: key.bytes.subarray(0, 32), y: key.bytes.subarray(32) });

/** Expiry month (MMYY): the month and the last instant it covers (end of the month, CST). */
export const expiryMonthView = (expiry: CalendarMonth): JsonObject => ({ ...expiry, validThrough: expiryMonth.end(expiry) });

/** Expiry day (YYMMDD): the day and the last instant it covers (end of the day, CST). */
export const expiryDayView = (expiry: CalendarDay): JsonObject => ({ ...expiry, validThrough: expiryDay.end(expiry) });
