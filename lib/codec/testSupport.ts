/**
 * Test material shared by the codec tests: the TQ-CERT-1 worked example (§6, §7, §9) and
 * helpers that sign fresh structures with real SM2 keys. Not used by production code.
 */
import { readFileSync } from 'node:fs';
import { parseHex } from '../bytes';
import { sm2, type Sm2PublicKey } from '../crypto/sm2';
import { unwrap } from '../errors';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData, type IssuerKeyData } from './issuerKeyData';
import { qrCode, type QrCode, type QrCodeFields } from './qrCode';

export const example = JSON.parse(
  readFileSync(new URL('../../../shared/vectors/tq-cert-1-example.json', import.meta.url), 'utf8'),
) as {
  root: { d: string; x: string; y: string };
  issuer: { d: string; x: string; y: string; issuer_id: string; certificate_number: string };
  user: { d: string };
  certificate: string;
  m_cert: string;
  qr: string;
  qr_generated_at: string;
  qr_valid_seconds: number;
  qr_authorized_until: string;
  root_record_a2: { center_id: string; index: string; expiry_yymmdd: string; check_value: string };
};

export const hex = (text: string): Uint8Array => unwrap(parseHex(text));

export interface KeyPair {
  readonly d: Uint8Array;
  readonly publicKey: Sm2PublicKey;
}

export const keyPair = (d: Uint8Array): KeyPair => ({ d, publicKey: sm2.publicKeyFromPrivate(d) });

export const rootKeys = keyPair(hex(example.root.d));
export const issuerKeys = keyPair(hex(example.issuer.d));
export const userKeys = keyPair(hex(example.user.d));

/** A fresh key pair whose public key has even Y (negating d when needed, as §2 advises issuers). */
export function evenKeyPair(): KeyPair {
  const pair = keyPair(sm2.generatePrivateKey());
  if ((pair.publicKey.y & 1n) === 0n) return pair;
  const n = sm2.params.n;
  const negated = n - BigInt('0x' + Buffer.from(pair.d).toString('hex'));
  return keyPair(hex(negated.toString(16).padStart(64, '0')));
}

export function signCertificate(keyData: IssuerKeyData, root: KeyPair = rootKeys): Uint8Array {
  return issuerCertificate.assemble(keyData, sm2.sign(issuerKeyData.encode(keyData), root.d));
}

/** Signs fields as an issuer and a user would, returning the typed code. */
export function signQrCode(fields: QrCodeFields, issuer: KeyPair, user: KeyPair): QrCode {
  const issuerSignature = sm2.sign(qrCode.issuerSignatureInput(fields), issuer.d);
  const userSignature = sm2.sign(qrCode.userSignatureInput({ ...fields, issuerSignature }), user.d);
  return { ...fields, issuerSignature, userSignature };
}
