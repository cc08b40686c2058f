/**
 * The OpenSSL 3 command line as an independent SM2 implementation for cross-checks.
 *
 * Keys are built here from raw d and X ‖ Y (PKCS#8 around SEC1 ECPrivateKey, SubjectPublicKeyInfo;
 * curve OID 1.2.156.10197.1.301), so the test also pins our key material to the standard encodings.
 * Signing and verifying go through `openssl dgst -sm3 … -sigopt distid:1234567812345678`: without
 * distid OpenSSL uses an EMPTY signer ID. A batch is one shell script, one spawn from Node.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { concat } from '../../lib/bytes';
import { DEFAULT_SIGNER_ID, signatureFromDer, signatureToDer } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';

const ID_EC_PUBLIC_KEY = '1.2.840.10045.2.1';
const SM2_CURVE = '1.2.156.10197.1.301';
const distid = `distid:${new TextDecoder().decode(DEFAULT_SIGNER_ID)}`;

function derLength(length: number): Uint8Array {
  if (length < 0x80) return Uint8Array.of(length);
  const bytes: number[] = [];
  for (let v = length; v > 0; v >>= 8) bytes.unshift(v & 0xff);
  return Uint8Array.of(0x80 | bytes.length, ...bytes);
}

const tlv = (tag: number, ...content: Uint8Array[]): Uint8Array => {
  const body = concat(...content);
  return concat(Uint8Array.of(tag), derLength(body.length), body);
};

function oid(dotted: string): Uint8Array {
  const [first, second, ...rest] = dotted.split('.').map(Number);
  const body: number[] = [40 * first + second];
  for (const arc of rest) {
    const base128 = [arc & 0x7f];
    for (let v = arc >>> 7; v > 0; v >>>= 7) base128.unshift(0x80 | (v & 0x7f));
    body.push(...base128);
  }
  return tlv(0x06, Uint8Array.from(body));
}

const sequence = (...content: Uint8Array[]) => tlv(0x30, ...content);
const smallInteger = (v: number) => tlv(0x02, Uint8Array.of(v));
const uncompressedPoint = (xy: Uint8Array) => tlv(0x03, Uint8Array.of(0x00, 0x04), xy);
const sm2AlgorithmIdentifier = () => sequence(oid(ID_EC_PUBLIC_KEY), oid(SM2_CURVE));

/**
 * RFC 5208 PrivateKeyInfo wrapping an RFC 5915 (SEC1) ECPrivateKey; without `publicKey` the
 * optional [1] field is left out and OpenSSL derives the public key itself.
 */
export function privateKeyPkcs8Der(privateKey: Uint8Array, publicKey?: Uint8Array): Uint8Array {
  const ecPrivateKey = sequence(
    smallInteger(1),
    tlv(0x04, privateKey),
    tlv(0xa0, oid(SM2_CURVE)),
    ...(publicKey ? [tlv(0xa1, uncompressedPoint(publicKey))] : []),
  );
  return sequence(smallInteger(0), sm2AlgorithmIdentifier(), tlv(0x04, ecPrivateKey));
}

/** RFC 5480 SubjectPublicKeyInfo for X ‖ Y. */
export function publicKeySpkiDer(publicKey: Uint8Array): Uint8Array {
  return sequence(sm2AlgorithmIdentifier(), uncompressedPoint(publicKey));
}

function pem(label: string, der: Uint8Array): string {
  const base64 = Buffer.from(der).toString('base64').replace(/.{1,64}/g, '$&\n');
  return `-----BEGIN ${label}-----\n${base64}-----END ${label}-----\n`;
}

const quote = (path: string) => `'${path.replaceAll("'", `'\\''`)}'`;

interface ShellStep {
  /** Input files of this step, by name. */
  readonly files: Readonly<Record<string, Uint8Array | string>>;
  /** One shell line; `path(name)` is the quoted path of this step's file `name`. */
  command(path: (name: string) => string): string;
}

/** Writes every step's files, runs all commands in one `sh`, and lets `collect` read the outputs. */
function runInShell<R>(steps: readonly ShellStep[], collect: (output: (index: number, name: string) => Buffer) => R): R {
  const dir = mkdtempSync(join(tmpdir(), 'tq-openssl-'));
  const file = (index: number, name: string) => join(dir, `${index}.${name}`);
  try {
    const lines = steps.map((step, i) => {
      for (const [name, content] of Object.entries(step.files)) writeFileSync(file(i, name), content);
      return step.command((name) => quote(file(i, name)));
    });
    writeFileSync(join(dir, 'batch.sh'), lines.join('\n') + '\n');
    execFileSync('sh', [join(dir, 'batch.sh')], { stdio: ['ignore', 'ignore', 'pipe'] });
    return collect((index, name) => readFileSync(file(index, name)));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

interface KeyedMessage {
  /** X ‖ Y, 64 bytes. */
  readonly publicKey: Uint8Array;
  readonly message: Uint8Array;
}

export interface OpensslSignJob extends KeyedMessage {
  readonly privateKey: Uint8Array;
}

/** Signs every message; returns r ‖ s, parsed from OpenSSL's DER by our strict parser. */
export function opensslSign(jobs: readonly OpensslSignJob[]): Uint8Array[] {
  const steps = jobs.map(
    (job): ShellStep => ({
      files: { 'key.pem': pem('PRIVATE KEY', privateKeyPkcs8Der(job.privateKey, job.publicKey)), msg: job.message },
      command: (path) => `openssl dgst -sm3 -sign ${path('key.pem')} -sigopt ${distid} -out ${path('sig')} ${path('msg')} || exit 1`,
    }),
  );
  return runInShell(steps, (output) => jobs.map((_, i) => unwrap(signatureFromDer(new Uint8Array(output(i, 'sig'))))));
}

/** The SubjectPublicKeyInfo DER OpenSSL writes for each private key d (it computes d·G itself). */
export function opensslPublicKeySpki(privateKeys: readonly Uint8Array[]): Uint8Array[] {
  const steps = privateKeys.map(
    (d): ShellStep => ({
      files: { 'key.pem': pem('PRIVATE KEY', privateKeyPkcs8Der(d)) },
      command: (path) => `openssl pkey -in ${path('key.pem')} -pubout -outform DER -out ${path('spki.der')} || exit 1`,
    }),
  );
  return runInShell(steps, (output) => privateKeys.map((_, i) => new Uint8Array(output(i, 'spki.der'))));
}

export interface OpensslVerifyJob extends KeyedMessage {
  /** r ‖ s, 64 bytes; handed to OpenSSL as DER. */
  readonly signature: Uint8Array;
}

/** OpenSSL's verdict per job; a key or signature OpenSSL cannot even load is a harness error, thrown. */
export function opensslVerify(jobs: readonly OpensslVerifyJob[]): boolean[] {
  const steps = jobs.map(
    (job): ShellStep => ({
      files: { 'pub.pem': pem('PUBLIC KEY', publicKeySpkiDer(job.publicKey)), msg: job.message, sig: signatureToDer(job.signature) },
      command: (path) =>
        `openssl dgst -sm3 -verify ${path('pub.pem')} -sigopt ${distid} -signature ${path('sig')} ${path('msg')} > ${path('out')} 2> ${path('err')} || true`,
    }),
  );
  return runInShell(steps, (output) =>
    jobs.map((_, i) => {
      const verdict = output(i, 'out').toString().trim();
      if (verdict === 'Verified OK') return true;
      if (verdict === 'Verification failure') return false;
      throw new Error(`openssl dgst -verify, job ${i}: ${verdict} ${output(i, 'err').toString()}`);
    }),
  );
}
