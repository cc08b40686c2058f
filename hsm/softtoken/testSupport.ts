/**
 * Test support for the software token's own tests: a fresh token directory, pkcs11js sessions,
 * the independent clients (OpenSC's pkcs11-tool, the openssl CLI) and SM2 public keys as PEM for openssl.
 */
import { execFile, execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pkcs11js from 'pkcs11js';
import { unwrap } from '../../lib/errors';
import { buildSoftToken, SOFTTOKEN_FAMILIES, type SoftTokenFamilyName } from './index';

export const MODULE = unwrap(buildSoftToken());
export const SO_PIN = '87654321';
export const USER_PIN = '24681012';
export const SM2_EC_PARAMS = Buffer.from('06082a811ccf5501822d', 'hex');
export const DEFAULT_ID = Buffer.from('1234567812345678');

export interface TokenDir {
  readonly dir: string;
  readonly env: Record<string, string>;
  readonly dispose: () => void;
}

export function tokenDir(family: SoftTokenFamilyName = 'softtoken', extra: Record<string, string> = {}): TokenDir {
  const dir = mkdtempSync(join(tmpdir(), `tqca-st-${family}-`));
  return {
    dir,
    env: { TQCA_TOKEN_DIR: dir, TQCA_SOFTTOKEN_FAMILY: family, ...extra },
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export type ChildStep =
  | ['login', string]
  | ['sign', string, number, string]
  | ['generate', string, number, number]
  | ['count', string];
export interface ChildResult {
  readonly ok?: boolean;
  readonly value?: unknown;
  readonly error?: string;
  readonly code?: number;
}

const CHILD = join(dirname(fileURLToPath(import.meta.url)), 'testChild.mjs');
const childEnv = (env: Record<string, string>) => ({ ...process.env, ...env, TQCA_SOFTTOKEN_MODULE: MODULE });
const parseLines = (stdout: string): ChildResult[] =>
  stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as ChildResult);

/** Runs steps in a separate process (see testChild.mjs); one result per step. */
export function child(env: Record<string, string>, steps: ChildStep[]): ChildResult[] {
  return parseLines(execFileSync(process.execPath, [CHILD, JSON.stringify(steps)], { env: childEnv(env), encoding: 'utf8' }));
}

export function childAsync(env: Record<string, string>, steps: ChildStep[]): Promise<ChildResult[]> {
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [CHILD, JSON.stringify(steps)], { env: childEnv(env), encoding: 'utf8' }, (error, stdout) =>
      error ? reject(error) : resolve(parseLines(stdout)),
    ),
  );
}

/** Runs OpenSC's pkcs11-tool against the module; returns stdout, throws with stderr on failure. */
export function pkcs11Tool(env: Record<string, string>, args: string[]): string {
  const r = spawnSync('pkcs11-tool', ['--module', MODULE, ...args], { env: { ...process.env, ...env }, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pkcs11-tool ${args.join(' ')} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** pkcs11-tool initialises slot 0 and its user PIN, as an operator would. */
export function initWithPkcs11Tool(env: Record<string, string>, label = 'tq-root'): void {
  pkcs11Tool(env, ['--slot', '0', '--init-token', '--label', label, '--so-pin', SO_PIN]);
  pkcs11Tool(env, ['--slot', '0', '--login', '--login-type', 'so', '--so-pin', SO_PIN, '--init-pin', '--pin', USER_PIN]);
}

/** The module loaded in this process under env (read by C_Initialize). Call close() at the end. */
export class Token {
  readonly p11 = new pkcs11js.PKCS11();
  constructor(env: Record<string, string>) {
    Object.assign(process.env, env);
    this.p11.load(MODULE);
    this.p11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
  }

  slot(index = 0): Buffer {
    return this.p11.C_GetSlotList(false)[index];
  }

  open(rw = true, slotIndex = 0): Buffer {
    const flags = pkcs11js.CKF_SERIAL_SESSION | (rw ? pkcs11js.CKF_RW_SESSION : 0);
    return this.p11.C_OpenSession(this.slot(slotIndex), flags);
  }

  userSession(rw = true): Buffer {
    const s = this.open(rw);
    try {
      this.p11.C_Login(s, pkcs11js.CKU_USER, USER_PIN);
    } catch (e) {
      if ((e as { message?: string }).message !== 'CKR_USER_ALREADY_LOGGED_IN') throw e;
    }
    return s;
  }

  generate(session: Buffer, family: SoftTokenFamilyName, id: Buffer, label = 'key', onToken = true) {
    const common = [
      { type: pkcs11js.CKA_TOKEN, value: onToken },
      { type: pkcs11js.CKA_ID, value: id },
      { type: pkcs11js.CKA_LABEL, value: label },
      { type: pkcs11js.CKA_KEY_TYPE, value: SOFTTOKEN_FAMILIES[family].keyType },
    ];
    return this.p11.C_GenerateKeyPair(
      session,
      { mechanism: SOFTTOKEN_FAMILIES[family].keyPairGen },
      [...common, { type: pkcs11js.CKA_VERIFY, value: true }, { type: pkcs11js.CKA_EC_PARAMS, value: SM2_EC_PARAMS }],
      [
        ...common,
        { type: pkcs11js.CKA_SIGN, value: true },
        { type: pkcs11js.CKA_PRIVATE, value: true },
        { type: pkcs11js.CKA_SENSITIVE, value: true },
        { type: pkcs11js.CKA_EXTRACTABLE, value: false },
      ],
    );
  }

  /** X ‖ Y of a public key object (CKA_EC_POINT is DER: 04 41 04 ‖ X ‖ Y). */
  point(session: Buffer, publicKey: Buffer): Buffer {
    const v = this.p11.C_GetAttributeValue(session, publicKey, [{ type: pkcs11js.CKA_EC_POINT }])[0].value as Buffer;
    if (v.length !== 67 || v[0] !== 0x04 || v[1] !== 0x41 || v[2] !== 0x04) throw new Error(`unexpected CKA_EC_POINT ${v.toString('hex')}`);
    return v.subarray(3);
  }

  sign(session: Buffer, mechanism: number, key: Buffer, data: Buffer, parameter?: Buffer): Buffer {
    this.p11.C_SignInit(session, parameter ? { mechanism, parameter } : { mechanism }, key);
    return this.p11.C_Sign(session, data, Buffer.alloc(72));
  }

  close(): void {
    this.p11.C_Finalize();
    this.p11.close();
  }
}

/** The CKR name pkcs11js reports for a failing call (throws if the call succeeds). */
export function ckr(call: () => unknown): string {
  try {
    call();
  } catch (e) {
    return (e as { message: string }).message.replace(/:\d+$/, ''); // some calls append a detail number
  }
  throw new Error('call succeeded');
}

/** An SM2 SubjectPublicKeyInfo PEM for X ‖ Y (id-ecPublicKey with the SM2 curve OID). */
export function publicKeyPem(xy: Uint8Array): string {
  const spki = Buffer.concat([Buffer.from('3059301306072a8648ce3d020106082a811ccf5501822d03420004', 'hex'), xy]);
  const b64 = spki.toString('base64').replace(/.{64}/g, '$&\n');
  return `-----BEGIN PUBLIC KEY-----\n${b64}\n-----END PUBLIC KEY-----\n`;
}

/** Verifies with the openssl CLI: `dgst -sm3` (message, signer ID) or `pkeyutl` (precomputed e). */
export function opensslVerify(
  dir: string,
  xy: Uint8Array,
  input: { message: Uint8Array; id: Uint8Array } | { digest: Uint8Array },
  derSignature: Uint8Array,
): boolean {
  const pub = join(dir, 'pub.pem');
  const sig = join(dir, 'sig.der');
  const data = join(dir, 'data.bin');
  writeFileSync(pub, publicKeyPem(xy));
  writeFileSync(sig, derSignature);
  const args =
    'digest' in input
      ? (writeFileSync(data, input.digest), ['pkeyutl', '-verify', '-pubin', '-inkey', pub, '-in', data, '-sigfile', sig])
      : (writeFileSync(data, input.message),
        ['dgst', '-sm3', '-verify', pub, '-sigopt', `distid:${Buffer.from(input.id).toString()}`, '-signature', sig, data]);
  try {
    execFileSync('openssl', args, { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}
