/**
 * `npm run bench:bundle`: verifyBundle (§12.2) on a 10,000-certificate bundle signed by one root,
 * against the signature checks it cannot avoid, measured in the same run: one prepared root key
 * and 2 SM2 verifications per A3 (the record's and its certificate's) plus the A4's and the
 * manifest's. The ratio says how much decoding, Y recovery, SM3 and the other checks add.
 * CPU time (user + system), median of three rounds.
 */
import { concat } from '../lib/bytes';
import {
  certificateRecord,
  decodeBundle,
  issuerCertificate,
  issuerKeyData,
  manifestRecord,
  revocationList,
  rootKeyRecord,
  verifyBundle,
  type IssuerKeyData,
} from '../lib/codec';
import { sm2 } from '../lib/crypto/sm2';
import { sm3 } from '../lib/crypto/sm3';

const CERTIFICATES = Number(process.env.BENCH_CERTIFICATES ?? 10_000);
const DISTINCT_KEYS = 100;
const published = Date.parse('2026-12-01T00:00:00Z') / 1000;

function cpuSeconds(run: () => unknown): number {
  const times = Array.from({ length: 3 }, () => {
    const start = process.cpuUsage();
    run();
    const used = process.cpuUsage(start);
    return (used.user + used.system) / 1e6;
  }).sort((a, b) => a - b);
  return times[1];
}

function evenKey() {
  for (;;) {
    const key = sm2.publicKeyFromPrivate(sm2.generatePrivateKey());
    if ((key.y & 1n) === 0n) return key;
  }
}

console.log(`building a bundle of ${CERTIFICATES} certificates (${2 * CERTIFICATES} signatures)…`);
const rootD = sm2.generatePrivateKey();
const root = sm2.publicKeyFromPrivate(rootD);
const a2 = rootKeyRecord.encode({ clearingCenterId: 1, rootKeyIndex: 1, publicKey: root, expiry: { year: 2030, month: 12, day: 31 } });
const certificates = Array.from({ length: DISTINCT_KEYS }, (_, i) => {
  const keyData: IssuerKeyData = { expiry: { year: 2028, month: 12 }, serial: i + 1, publicKey: evenKey() };
  return issuerCertificate.decode(issuerCertificate.assemble(keyData, sm2.sign(issuerKeyData.encode(keyData), rootD)));
});
const signedPairs: [Uint8Array, Uint8Array][] = [];
const a3s = Array.from({ length: CERTIFICATES }, (_, i) => {
  const decoded = certificates[i % DISTINCT_KEYS];
  if (!decoded.ok) throw new Error(decoded.error.message);
  const fields = { rootKeyIndex: 1, certificateNumber: i + 1, issuerId: 0x1000 + (i % DISTINCT_KEYS), certificate: decoded.value, issueTime: published - 86_400 };
  const toBeSigned = certificateRecord.toBeSigned(fields);
  const rootSignature = sm2.sign(toBeSigned, rootD);
  signedPairs.push([toBeSigned, rootSignature], [issuerCertificate.signedData(decoded.value), decoded.value.rootSignature]);
  return certificateRecord.encode({ ...fields, rootSignature });
});
const a4Fields = { rootKeyIndex: 1, sequenceNumber: 1, thisUpdate: published, nextUpdate: published + 7 * 86_400, entries: [] };
const a4ToBeSigned = revocationList.toBeSigned(a4Fields);
const a4Signature = sm2.sign(a4ToBeSigned, rootD);
const body = concat(a2, ...a3s, revocationList.encode({ ...a4Fields, rootSignature: a4Signature }));
const manifest = manifestRecord.toBeSigned({
  rootKeyIndex: 1,
  clearingCenterId: 1,
  version: 1,
  publicationTime: published,
  expires: published + 7 * 86_400,
  a2Count: 1,
  a3Count: CERTIFICATES,
  revocationSequenceNumber: 1,
  bodyDigest: sm3(body),
});
const manifestSignature = sm2.sign(manifest, rootD);
const bundle = concat(manifest, manifestSignature, body);
signedPairs.push([a4ToBeSigned, a4Signature], [manifest, manifestSignature]);

const verify = () => {
  const result = verifyBundle({ bundle, trustedRoots: [{ rootKeyIndex: 1, publicKey: root }], now: new Date(published * 1000) });
  if (!result.ok) throw new Error(`${result.error.code}: ${result.error.message}`);
};
const signaturesOnly = () => {
  const verifier = sm2.prepareVerifier(root);
  for (const [message, signature] of signedPairs) if (!verifier.verify(message, signature)) throw new Error('baseline signature');
};
const plainSample = signedPairs.slice(0, 400);
const plainPerSignature = cpuSeconds(() => {
  for (const [message, signature] of plainSample) if (!sm2.verify(message, signature, root)) throw new Error('plain signature');
}) / plainSample.length;

const full = cpuSeconds(verify);
const decodeOnly = cpuSeconds(() => decodeBundle(bundle));
const baseline = cpuSeconds(signaturesOnly);
const n = signedPairs.length;
console.log(`bundle: ${bundle.length} bytes, ${n} signatures`);
console.log(`verifyBundle                         ${full.toFixed(2)} s CPU`);
console.log(`signature checks alone (prepared key) ${baseline.toFixed(2)} s CPU  → verifyBundle is ${(full / baseline).toFixed(2)}× the signature checks`);
console.log(`decodeBundle alone (incl. Y recovery)  ${decodeOnly.toFixed(2)} s CPU`);
console.log(`the same checks with a plain key      ${(plainPerSignature * n).toFixed(2)} s CPU (extrapolated from ${plainSample.length})  → ${((plainPerSignature * n) / full).toFixed(1)}× verifyBundle`);
