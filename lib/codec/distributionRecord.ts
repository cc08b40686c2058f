/** Decodes any record A1–A4 by its tag (TQ-CERT-1 §8, §9). */
import { err, type Result } from '../errors';
import { certificateRecord, type CertificateRecord } from './certificateRecord';
import { requestRecord, type RequestRecord } from './requestRecord';
import { revocationList, type RevocationList } from './revocationList';
import { rootKeyRecord, type RootKeyRecord } from './rootKeyRecord';
import { hexByte } from './structure';

export type DistributionRecord =
  | { readonly kind: 'request'; readonly record: RequestRecord }
  | { readonly kind: 'rootKey'; readonly record: RootKeyRecord }
  | { readonly kind: 'certificate'; readonly record: CertificateRecord }
  | { readonly kind: 'revocationList'; readonly record: RevocationList };

function tagged<K extends DistributionRecord['kind'], T>(kind: K, decoded: Result<T>): Result<{ kind: K; record: T }> {
  return decoded.ok ? { ok: true, value: { kind, record: decoded.value } } : decoded;
}

export function decodeRecord(bytes: Uint8Array): Result<DistributionRecord> {
  if (!(bytes instanceof Uint8Array)) return err('INPUT_TYPE', 'record: input must be a Uint8Array', { field: 'record', offset: 0 });
  if (bytes.length === 0) return err('LENGTH_INVALID', 'record is empty', { field: 'record', offset: 0 });
  switch (bytes[0]) {
    case requestRecord.tag:
      return tagged('request', requestRecord.decode(bytes));
    case rootKeyRecord.tag:
      return tagged('rootKey', rootKeyRecord.decode(bytes));
    case certificateRecord.tag:
      return tagged('certificate', certificateRecord.decode(bytes));
    case revocationList.tag:
      return tagged('revocationList', revocationList.decode(bytes));
    default:
      return err('RECORD_TYPE', `record tag ${hexByte(bytes[0])} is not A1–A4`, {
        field: 'tag',
        offset: 0,
        details: { tag: hexByte(bytes[0]) },
      });
  }
}
