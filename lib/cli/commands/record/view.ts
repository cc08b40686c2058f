/** The JSON form of a decoded A1–A4 record: its tag, its kind and its fields in layout order. */
import { uintToBytes } from '../../../bytes';
import {
  HASH_ALGORITHM_SM3,
  type CertificateRecord,
  type DistributionRecord,
  type RequestRecord,
  type RevocationList,
  type RootKeyRecord,
} from '../../../codec';
import type { JsonObject } from '../../command';
import { expiryDayView, expiryMonthView, hexByte, keyView, signatureView, unixTime } from '../../views';
import { certificateView } from '../cert/view';

const requestView = (r: RequestRecord): JsonObject => ({
  issuerId: uintToBytes(r.issuerId, 4),
  serial: uintToBytes(r.serial, 3),
  expiry: expiryMonthView(r.expiry),
  publicKey: keyView(r.publicKey),
  challenge: r.challenge,
  requestTime: unixTime(r.requestTime),
  proofOfPossession: signatureView(r.proofOfPossession),
});

const rootKeyView = (r: RootKeyRecord): JsonObject => ({
  clearingCenterId: uintToBytes(r.clearingCenterId, 4),
  rootKeyIndex: hexByte(r.rootKeyIndex),
  publicKey: keyView(r.publicKey),
  expiry: expiryDayView(r.expiry),
  hashAlgorithm: hexByte(HASH_ALGORITHM_SM3),
  checkValue: r.checkValue,
});

const certificateRecordView = (r: CertificateRecord): JsonObject => ({
  rootKeyIndex: hexByte(r.rootKeyIndex),
  certificateNumber: uintToBytes(r.certificateNumber, 4),
  issuerId: uintToBytes(r.issuerId, 4),
  certificate: certificateView(r.certificate),
  issueTime: unixTime(r.issueTime),
  rootSignature: signatureView(r.rootSignature),
});

const revocationListView = (r: RevocationList): JsonObject => ({
  rootKeyIndex: hexByte(r.rootKeyIndex),
  sequenceNumber: r.sequenceNumber,
  thisUpdate: unixTime(r.thisUpdate),
  nextUpdate: unixTime(r.nextUpdate),
  entries: r.entries.map((e) => ({
    certificateNumber: uintToBytes(e.certificateNumber, 4),
    issuerId: uintToBytes(e.issuerId, 4),
    serial: uintToBytes(e.serial, 3),
    reason: e.reason,
  })),
  rootSignature: signatureView(r.rootSignature),
});

export function recordView(decoded: DistributionRecord, tag: number): JsonObject {
  const head = { tag: hexByte(tag), kind: decoded.kind };
  switch (decoded.kind) {
    case 'request':
      return { ...head, ...requestView(decoded.record) };
    case 'rootKey':
      return { ...head, ...rootKeyView(decoded.record) };
    case 'certificate':
      return { ...head, ...certificateRecordView(decoded.record) };
    case 'revocationList':
      return { ...head, ...revocationListView(decoded.record) };
  }
}
