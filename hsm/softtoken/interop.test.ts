/**
 * The software token through independent clients, for every code family: OpenSC's pkcs11-tool
 * initialises, lists, signs and verifies; the openssl CLI and our own SM2 module verify the
 * signatures. pkcs11-tool cannot express SM2 key generation (its EC template is CKK_EC with a
 * named curve it knows, and it has no SM2 curve), so keys are generated through pkcs11js.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pkcs11js from 'pkcs11js';
import { signatureFromDer, signatureToDer, sm2, type Sm2PublicKey } from '../../lib/crypto/sm2';
import { unwrap } from '../../lib/errors';
import { SOFTTOKEN_FAMILIES, type SoftTokenFamilyName, type SoftTokenSignMechanism } from './index';
import {
  ckr,
  DEFAULT_ID,
  initWithPkcs11Tool,
  opensslVerify,
  pkcs11Tool,
  Token,
  tokenDir,
  USER_PIN,
  type TokenDir,
} from './testSupport';

const KEY_ID = Buffer.from('c0ffee01', 'hex');
const hex = (n: number) => `0x${n.toString(16).toUpperCase()}`;
const login = ['--slot', '0', '--login', '--pin', USER_PIN];

/** Our module and openssl must both accept the signature; returns r ‖ s. */
function expectValid(t: TokenDir, pub: Sm2PublicKey, m: SoftTokenSignMechanism, data: Buffer, sig: Buffer, id = DEFAULT_ID) {
  if (m.output === 'raw') expect(sig.length).toBe(64);
  // The strict parser refuses DER that is not minimal, as strict verifiers do.
  const raw = m.output === 'raw' ? sig : unwrap(signatureFromDer(sig));
  if (m.input === 'digest') {
    expect(sm2.verifyDigest(data, raw, pub)).toBe(true);
    expect(opensslVerify(t.dir, pub.bytes, { digest: data }, signatureToDer(raw))).toBe(true);
  } else {
    expect(sm2.verify(data, raw, pub, id)).toBe(true);
    expect(opensslVerify(t.dir, pub.bytes, { message: data, id }, signatureToDer(raw))).toBe(true);
  }
  return raw;
}

describe.each(Object.keys(SOFTTOKEN_FAMILIES) as SoftTokenFamilyName[])('family %s', (family) => {
  const codes = SOFTTOKEN_FAMILIES[family];
  let t: TokenDir;
  let pub: Sm2PublicKey;

  beforeAll(() => {
    t = tokenDir(family);
    initWithPkcs11Tool(t.env, `tq-${family}`);
    const token = new Token(t.env);
    try {
      const s = token.userSession();
      const keys = token.generate(s, family, KEY_ID, 'root-2026');
      pub = unwrap(sm2.publicKeyFromBytes(token.point(s, keys.publicKey)));
    } finally {
      token.close();
    }
  });
  afterAll(() => t.dispose());

  it('pkcs11-tool -L shows the token pkcs11-tool initialised', () => {
    const out = pkcs11Tool(t.env, ['-L']);
    expect(out).toContain(`token label        : tq-${family}`);
    expect(out).toMatch(/token flags\s+: login required, rng, token initialized, PIN initialized/);
    expect(out).toContain(`token model        : SM2 ${family}`);
    expect(out.match(/^Slot \d/gm)).toHaveLength(4); // default slot count; the others stay uninitialised
  });

  it("pkcs11-tool -M lists exactly the family's mechanisms with 256-bit keys", () => {
    const out = pkcs11Tool(t.env, ['--slot', '0', '-M']);
    const listed = [...out.matchAll(/mechtype-(0x[0-9A-F]+), keySize=\{256,256\}, (.*)/g)].map((m) => [Number(m[1]), m[2]]);
    expect(listed).toEqual([
      [codes.keyPairGen, 'generate_key_pair, EC F_P, EC OID, EC uncompressed'],
      ...codes.sign.map((m) => [m.mechanism, 'sign, verify']),
    ]);
  });

  it('pkcs11-tool -O shows the key pair with its id, label and protection', () => {
    const out = pkcs11Tool(t.env, [...login, '-O']);
    const priv = out.slice(out.indexOf('Private Key Object'), out.indexOf('Public Key Object'));
    expect(priv).toContain('label:      root-2026');
    expect(priv).toContain(`ID:         ${KEY_ID.toString('hex')}`);
    expect(priv).toContain('Usage:      sign');
    expect(priv).toContain('Access:     sensitive, always sensitive, never extractable, local');
    expect(out.slice(out.indexOf('Public Key Object'))).toContain('Usage:      verify');
    expect(pkcs11Tool(t.env, ['--slot', '0', '-O'])).not.toContain('Private Key Object'); // private: hidden before login
  });

  it("refuses pkcs11-tool's EC key generation template (not an SM2 key)", () => {
    expect(() => pkcs11Tool(t.env, [...login, '--keypairgen', '-m', hex(codes.keyPairGen), '--key-type', 'EC:prime256v1', '--id', '02'])).toThrow(
      /C_GenerateKeyPair failed/,
    );
  });

  it.each(codes.sign.map((m) => [hex(m.mechanism), m] as const))('pkcs11-tool --sign -m %s, verified by openssl and lib/crypto/sm2', (_, m) => {
    const data = m.input === 'digest' ? randomBytes(32) : Buffer.from(`transport card issuer ${family} ${randomBytes(4).toString('hex')}`);
    const input = join(t.dir, 'in.bin');
    const output = join(t.dir, 'out.sig');
    writeFileSync(input, data);
    pkcs11Tool(t.env, [...login, '--sign', '-m', hex(m.mechanism), '--id', KEY_ID.toString('hex'), '-i', input, '-o', output]);
    expectValid(t, pub, m, data, readFileSync(output));
    // and pkcs11-tool --verify through the token's C_Verify
    const verified = pkcs11Tool(t.env, [...login, '--verify', '-m', hex(m.mechanism), '--id', KEY_ID.toString('hex'), '-i', input, '--signature-file', output]);
    expect(verified).toContain('Signature is valid');
  });

  it('signs with the signer ID given as mechanism parameter, and C_Verify checks both mechanisms', () => {
    const token = new Token(t.env);
    try {
      const s = token.userSession();
      token.p11.C_FindObjectsInit(s, [{ type: pkcs11js.CKA_ID, value: KEY_ID }]);
      const handles = token.p11.C_FindObjects(s, 10);
      token.p11.C_FindObjectsFinal(s);
      const cls = (h: Buffer) => (token.p11.C_GetAttributeValue(s, h, [{ type: pkcs11js.CKA_CLASS }])[0].value as Buffer).readUInt32LE(0);
      const priv = handles.find((h) => cls(h) === pkcs11js.CKO_PRIVATE_KEY)!;
      const pubH = handles.find((h) => cls(h) === pkcs11js.CKO_PUBLIC_KEY)!;
      const id = Buffer.from('ALICE123@YAHOO.COM');
      for (const m of codes.sign) {
        const data = m.input === 'digest' ? randomBytes(32) : Buffer.from('message signed with a chosen signer ID');
        const signerId = m.takesSignerId ? id : DEFAULT_ID;
        const sig = token.sign(s, m.mechanism, priv, data, m.takesSignerId ? id : undefined);
        expectValid(t, pub, m, data, sig, signerId);
        const mechanism = m.takesSignerId ? { mechanism: m.mechanism, parameter: id } : { mechanism: m.mechanism };
        token.p11.C_VerifyInit(s, mechanism, pubH);
        expect(token.p11.C_Verify(s, data, sig)).toBe(true);
        const forged = Buffer.from(sig);
        forged[forged.length - 1] ^= 1;
        token.p11.C_VerifyInit(s, mechanism, pubH);
        expect(ckr(() => token.p11.C_Verify(s, data, forged))).toBe('CKR_SIGNATURE_INVALID');
        if (!m.takesSignerId) {
          expect(ckr(() => token.p11.C_SignInit(s, { mechanism: m.mechanism, parameter: id }, priv))).toBe('CKR_MECHANISM_PARAM_INVALID');
        }
      }
    } finally {
      token.close();
    }
  });
});
