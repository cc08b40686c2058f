/**
 * `npm run bench:crypto`: our SM2/SM3 beside sm-crypto and OpenSSL's C code, measured in the same
 * run on the same machine. Prints ops/s and the time ratio to OpenSSL (× = times slower).
 *
 * OpenSSL is measured with `openssl speed` (its own loop, no process start-up in the figure); both
 * sides count operations per CPU second (see opsPerSecond).
 * Certificate and QR rows have no OpenSSL command: their OpenSSL figure is its verify rate divided
 * by the number of SM2 verifications the check needs (1 and 3); Y recovery and parsing are
 * left out of it, so the figure flatters OpenSSL slightly.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import smCrypto from 'sm-crypto';
import { concat, parseHex, toHex } from '../lib/bytes';
import { verifyIssuerCertificate, verifyQrCode } from '../lib/codec';
import { sm2 } from '../lib/crypto/sm2';
import { sm3 } from '../lib/crypto/sm3';
import { unwrap } from '../lib/errors';
import { smCryptoSign, smCryptoVerify } from '../test/support/smCryptoSm2';
import example from '../test/support/vectors/tq-cert-1-example.json';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
if (!(SECONDS > 0)) throw new Error(`BENCH_SECONDS must be a positive number of seconds, got ${process.env.BENCH_SECONDS}`);
const hex = (text: string) => unwrap(parseHex(text));

/**
 * Median ops per CPU second over five rounds of `seconds / 5` wall time, after a warm-up round.
 * CPU time (user + system of this process), because `openssl speed` divides by CPU user time too:
 * on a machine shared with other work, wall-clock figures would compare load, not code.
 */
function opsPerSecond(operation: () => unknown, seconds = SECONDS): number {
  let sink = 0;
  const round = (ms: number) => {
    let ops = 0;
    let batch = 1;
    const start = performance.now();
    const cpuStart = process.cpuUsage();
    while (performance.now() - start < ms) {
      for (let i = 0; i < batch; i++) if (operation()) sink++;
      ops += batch;
      if (performance.now() - start < ms / 20) batch *= 2;
    }
    const cpu = process.cpuUsage(cpuStart);
    return (ops * 1e6) / (cpu.user + cpu.system);
  };
  round(Math.min(300, (seconds * 1000) / 5));
  const rates = Array.from({ length: 5 }, () => round((seconds * 1000) / 5)).sort((a, b) => a - b);
  if (sink < 0) console.log(sink); // keeps the results observable
  return rates[2];
}

/** `openssl speed -mr` machine-readable lines: `+F7:…:sign/s:verify/s` for SM2, `+F:…:bytes/s` for digests. */
function opensslSpeed(): { sign: number; verify: number; sm3: number } {
  // `openssl speed -seconds` takes whole seconds only; the rates compare all the same.
  const seconds = String(Math.max(1, Math.round(SECONDS)));
  const run = (args: string[]) => execFileSync('openssl', ['speed', '-mr', '-seconds', seconds, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  const sm2Line = run(['sm2']).split('\n').find((l) => l.startsWith('+F7:'));
  const sm3Line = run(['-evp', 'sm3', '-bytes', '74']).split('\n').find((l) => l.startsWith('+F:'));
  if (!sm2Line || !sm3Line) throw new Error('unexpected `openssl speed -mr` output');
  const [sign, verify] = sm2Line.split(':').slice(-2).map(Number);
  const sm3BytesPerSecond = Number(sm3Line.split(':').at(-1));
  return { sign, verify, sm3: sm3BytesPerSecond / 74 };
}

// Inputs: a fresh key and a 74-byte message (the size of M_cert); the TQ-CERT-1 worked example.
const privateKey = sm2.generatePrivateKey();
const publicKey = sm2.publicKeyFromPrivate(privateKey);
const prepared = sm2.prepareVerifier(publicKey);
const message = new Uint8Array(randomBytes(74));
const signature = sm2.sign(message, privateKey);
const messageArray = Array.from(message);

const rootKey = unwrap(sm2.publicKeyFromBytes(hex(example.root.x + example.root.y)));
const preparedRoot = sm2.prepareVerifier(rootKey);
const certificate = hex(example.certificate);
const qr = hex(example.qr);
const scanTime = new Date(Date.parse(example.qr_generated_at) + 10_000);
const qrContext = { rootKey: preparedRoot, certificate, issuerId: 0x00001001, certificateNumber: 1, at: scanTime };
// What a terminal does (§2): verify the certificate once at load, pass the result on every scan.
const loadedQrContext = { ...qrContext, certificate: unwrap(verifyIssuerCertificate(certificate, preparedRoot, scanTime)) };

// sm-crypto has no TQ-CERT-1 code: its rows run our parsing and Y recovery, and sm-crypto's SM2.
function smCryptoCertificate(): Uint8Array | null {
  const issuerKey = sm2.publicKeyFromX(certificate.subarray(10, 42));
  if (!issuerKey.ok) return null;
  const mCert = concat(certificate.subarray(0, 10), issuerKey.value.bytes);
  return smCryptoVerify(mCert, certificate.subarray(42, 106), rootKey.bytes) ? issuerKey.value.bytes : null;
}
function smCryptoQr(issuerKey: Uint8Array | null): boolean {
  return (
    issuerKey !== null &&
    smCryptoVerify(qr.subarray(8, 90), qr.subarray(91, 155), issuerKey) &&
    smCrypto.sm2.doVerifySignature(Array.from(qr.subarray(0, 161)), toHex(qr.subarray(162, 226)), toHex(qr.subarray(51, 84)), { hash: true, der: false })
  );
}

function checkInputs() {
  const checks: [string, boolean][] = [
    ['our verify', sm2.verify(message, signature, publicKey)],
    ['prepared verify', prepared.verify(message, signature)],
    ['sm-crypto verify', smCryptoVerify(message, signature, publicKey.bytes)],
    ['certificate', verifyIssuerCertificate(certificate, preparedRoot, scanTime).ok],
    ['QR', verifyQrCode(qr, qrContext).ok],
    ['sm-crypto certificate', smCryptoCertificate() !== null],
    ['QR, certificate verified at load', verifyQrCode(qr, loadedQrContext).ok],
    ['sm-crypto QR', smCryptoQr(smCryptoCertificate())],
  ];
  const failed = checks.filter(([, passed]) => !passed).map(([name]) => name);
  if (failed.length) throw new Error(`benchmark inputs do not verify: ${failed.join(', ')}`);
}

interface Row {
  readonly operation: string;
  readonly ours: number;
  readonly smCrypto?: number;
  readonly openssl: number;
}

function main() {
  checkInputs();
  const loadedIssuerKey = smCryptoCertificate();
  const slow = Math.max(1, SECONDS / 2); // sm-crypto takes milliseconds per operation
  const openssl = opensslSpeed();
  const rows: Row[] = [
    { operation: 'SM2 sign, 74 B', ours: opsPerSecond(() => sm2.sign(message, privateKey)), smCrypto: opsPerSecond(() => smCryptoSign(message, privateKey), slow), openssl: openssl.sign },
    {
      operation: 'SM2 verify, 74 B',
      ours: opsPerSecond(() => sm2.verify(message, signature, publicKey)),
      smCrypto: opsPerSecond(() => smCryptoVerify(message, signature, publicKey.bytes), slow),
      openssl: openssl.verify,
    },
    { operation: 'SM2 verify, prepared key', ours: opsPerSecond(() => prepared.verify(message, signature)), openssl: openssl.verify },
    { operation: 'SM3, 74 B', ours: opsPerSecond(() => sm3(message)), smCrypto: opsPerSecond(() => smCrypto.sm3(messageArray)), openssl: openssl.sm3 },
    {
      operation: 'certificate (decode, Y, 1 sig)',
      ours: opsPerSecond(() => verifyIssuerCertificate(certificate, preparedRoot, scanTime).ok),
      smCrypto: opsPerSecond(smCryptoCertificate, slow),
      openssl: openssl.verify,
    },
    {
      operation: 'QR code, certificate bytes (3 sigs)',
      ours: opsPerSecond(() => verifyQrCode(qr, qrContext).ok),
      smCrypto: opsPerSecond(() => smCryptoQr(smCryptoCertificate()), slow),
      openssl: openssl.verify / 3,
    },
    {
      operation: 'QR code, cert verified at load (2 sigs)',
      ours: opsPerSecond(() => verifyQrCode(qr, loadedQrContext).ok),
      smCrypto: opsPerSecond(() => smCryptoQr(loadedIssuerKey), slow),
      openssl: openssl.verify / 2,
    },
  ];
  printTable(rows);
  const preparedRatio = openssl.verify / rows[2].ours;
  console.log(`\nprepared-key verify: ${preparedRatio.toFixed(2)}× OpenSSL's verify time (target ≤ 2×): ${preparedRatio <= 2 ? 'met' : 'MISSED'}`);
}

function printTable(rows: readonly Row[]) {
  const ops = (v?: number) => (v === undefined ? '–' : v >= 100 ? Math.round(v).toLocaleString('en-US') : v.toFixed(1));
  const ratio = (v: number | undefined, openssl: number) => (v === undefined ? '–' : `${(openssl / v).toFixed(2)}×`);
  const table = [
    ['operation', 'ours ops/s', 'sm-crypto ops/s', 'OpenSSL ops/s', 'ours vs OpenSSL', 'sm-crypto vs OpenSSL'],
    ...rows.map((r) => [r.operation, ops(r.ours), ops(r.smCrypto), ops(r.openssl), ratio(r.ours, r.openssl), ratio(r.smCrypto, r.openssl)]),
  ];
  const widths = table[0].map((_, c) => Math.max(...table.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(`node ${process.version}, ${execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim()}, ${SECONDS} s per figure, ops per CPU second\n`);
  console.log(line(table[0]));
  console.log(widths.map((w) => '-'.repeat(w)).join('  '));
  for (const row of table.slice(1)) console.log(line(row));
  console.log('\n× = times slower than OpenSSL. OpenSSL certificate/QR figures = verify rate ÷ signatures checked (1, 3, 2).');
  console.log('sm-crypto certificate/QR rows: our parsing and Y recovery, sm-crypto SM2 verification.');
}

main();
