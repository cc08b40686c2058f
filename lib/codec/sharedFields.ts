/** Fields that several structures share, each read and written in one place. */
import { expiryMonth, type CalendarMonth } from './expiry';
import { fail, hexByte, type FieldReader, type FieldWriter } from './structure';

export const CERTIFICATE_NUMBER_MIN = 0x00000001;
export const CERTIFICATE_NUMBER_MAX = 0xfffffffe;

/** Certificate serial, uint24, issuer-chosen, never 000000 (§4). */
export function readSerial(r: FieldReader, field = 'serial'): number {
  const offset = r.offset;
  const serial = r.uint(3);
  if (serial === 0) fail('SERIAL_ZERO', `${field} must not be 000000`, { field, offset });
  return serial;
}

export function writeSerial(w: FieldWriter, serial: number, field = 'serial'): void {
  if (serial === 0) fail('SERIAL_ZERO', `${field} must not be 000000`, { field, offset: w.offset });
  w.uint(field, serial, 3);
}

export function readExpiryMonth(r: FieldReader, field = 'expiry'): CalendarMonth {
  return r.parse(2, (bytes) => expiryMonth.decode(bytes, field));
}

export function writeExpiryMonth(w: FieldWriter, value: CalendarMonth, field = 'expiry'): void {
  w.encoded(field, () => expiryMonth.encode(value, field));
}

/** Certificate number, uint32 `00000001`–`FFFFFFFE` (§8). */
export function readCertificateNumber(r: FieldReader, field = 'certificateNumber'): number {
  const offset = r.offset;
  const value = r.uint(4);
  if (value < CERTIFICATE_NUMBER_MIN || value > CERTIFICATE_NUMBER_MAX) {
    fail('CERT_NUMBER_RANGE', `${field} must be 00000001–FFFFFFFE, got ${value.toString(16).padStart(8, '0')}`, {
      field,
      offset,
      details: { value },
    });
  }
  return value;
}

export function writeCertificateNumber(w: FieldWriter, value: number, field = 'certificateNumber'): void {
  if (!(Number.isInteger(value) && value >= CERTIFICATE_NUMBER_MIN && value <= CERTIFICATE_NUMBER_MAX)) {
    fail('CERT_NUMBER_RANGE', `${field} must be 00000001–FFFFFFFE, got ${value}`, { field, offset: w.offset, details: { value } });
  }
  w.uint(field, value, 4);
}

/** Root-key index: `01`–`7F` production, `80`–`FE` test; `00` and `FF` are never assigned (§9). */
export function readRootKeyIndex(r: FieldReader, field = 'rootKeyIndex'): number {
  const offset = r.offset;
  const index = r.uint(1);
  if (index === 0x00 || index === 0xff) {
    fail('ROOT_KEY_INDEX', `${field} ${hexByte(index)} is never assigned (01–FE)`, { field, offset, details: { index } });
  }
  return index;
}

export function writeRootKeyIndex(w: FieldWriter, index: number, field = 'rootKeyIndex'): void {
  if (!(Number.isInteger(index) && index >= 0x01 && index <= 0xfe)) {
    fail('ROOT_KEY_INDEX', `${field} must be 01–FE, got ${index}`, { field, offset: w.offset, details: { index } });
  }
  w.uint(field, index, 1);
}
