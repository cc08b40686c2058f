/** The JSON form of a decoded QR code (Table 1), fields in table order. */
import { uintToBytes } from '../../../bytes';
import { ISSUER_AUTH_LENGTH, QR_VERSION, qrCode, USER_AUTH_LENGTH, type QrCode } from '../../../codec';
import type { JsonObject } from '../../command';
import { hexByte, keyView, signatureView, unixTime } from '../../views';

export function qrView(qr: QrCode): JsonObject {
  return {
    version: hexByte(QR_VERSION),
    type: qr.type,
    mode: qr.mode,
    certificateNumber: uintToBytes(qr.certificateNumber, 4),
    issuerAuthLength: ISSUER_AUTH_LENGTH,
    paymentAccount: qr.paymentAccount,
    issuerId: uintToBytes(qr.issuerId, 4),
    platformId: uintToBytes(qr.platformId, 4),
    cardNumber: qr.cardNumber,
    cardType: qr.cardType,
    transactionLimitFen: qr.transactionLimit,
    batch: qr.batch,
    userKey: keyView(qr.userKey),
    authorizationExpiry: unixTime(qr.authorizationExpiry),
    validitySeconds: qr.validitySeconds,
    issuerSignature: signatureView(qr.issuerSignature),
    userAuthLength: USER_AUTH_LENGTH,
    generationTime: unixTime(qr.generationTime),
    userSignature: signatureView(qr.userSignature),
    signedData: { issuer: qrCode.issuerSignatureInput(qr), user: qrCode.userSignatureInput(qr) },
  };
}
