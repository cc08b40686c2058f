/**
 * Publication bundles (TQ-CERT-1 §12): the worked example, one flipped byte at every offset,
 * a targeted rejection for each §12.2 check, the builder's refusals and the §12.3 delta rules.
 */
import { describe, expect, it } from 'vitest';
import { concat, toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { err, ok, unwrap, type Result } from '../errors';
import { bundleLayout, decodeBundle, digestBody, type Bundle, type DigestedRange } from './bundle';
import { applyDelta, decodeDelta, makeDelta } from './bundleDelta';
import { a2, a3, a4, assembleBundle, at, delta12, exampleTrust, unix, v1, V1_PUBLISHED, v2, V2_PUBLISHED, vector, type RawBundle } from './testBundles';
import { buildBundle, type BundleContents } from './buildBundle';
import { revocationList } from './revocationList';
import { keyPair, expectError, hex, rootKeys } from './testSupport';
import { smCryptoSign, smCryptoVerify } from '../../test/support/smCryptoSm2';
import { checkDecodedBundle, verifyBundle, type BundleVerificationInput } from './verifyBundle';

const verifyV1 = (bundle: Uint8Array) => verifyBundle({ bundle, trustedRoots: exampleTrust, now: at(V1_PUBLISHED) });
const verifyV2 = (bundle: Uint8Array) => verifyBundle({ bundle, trustedRoots: exampleTrust, previous: v1, now: at(V2_PUBLISHED) });

describe('worked example (§12)', () => {
  it('v1 and v2 verify at their publication times, v2 against v1', () => {
    const first = unwrap(verifyV1(v1));
    expect(first.bundle.manifest).toMatchObject({ version: 1, a2Count: 1, a3Count: 1, revocationSequenceNumber: 1 });
    expect(toHex(first.bundle.manifest.bodyDigest)).toBe(vector.v1.body_sm3);
    expect(toHex(v1.subarray(0, 122))).toBe(vector.v1.manifest);
    const second = unwrap(verifyBundle({ bundle: v2, trustedRoots: first.trustedRoots, previous: first.bundle, now: at(V2_PUBLISHED) }));
    expect(second.bundle.certificates.map((c) => c.certificateNumber)).toEqual([2]);
    expect(second.bundle.revocationList.entries).toEqual([{ certificateNumber: 1, issuerId: 0x1001, serial: 1, reason: 'keyCompromise' }]);
    expect(second.trustedRoots.map((r) => r.rootKeyIndex)).toEqual([1]);
  });

  it('the delta 1 → 2 applied to v1 is v2 byte for byte, and makeDelta(v1, v2) is the vector’s delta', () => {
    expect(toHex(unwrap(applyDelta(v1, delta12)))).toBe(vector.v2.bundle);
    expect(toHex(unwrap(makeDelta(v1, v2)))).toBe(vector.delta_1_2.delta);
  });

  it('a repeated download (same version, same bytes) verifies again', () => {
    expect(verifyBundle({ bundle: v2, trustedRoots: exampleTrust, previous: v2, now: at(V2_PUBLISHED) }).ok).toBe(true);
  });
});

describe('one flipped byte anywhere is a typed rejection, never an exception', () => {
  const flips = [0x01, 0x80, 0xff];
  const everyFlip = (bytes: Uint8Array, check: (tampered: Uint8Array) => Result<unknown>) => {
    const accepted: string[] = [];
    for (let offset = 0; offset < bytes.length; offset++) {
      for (const flip of flips) {
        const tampered = bytes.slice();
        tampered[offset] ^= flip;
        const result = check(tampered);
        if (result.ok || typeof result.error.code !== 'string') accepted.push(`${offset}^${flip}`);
      }
    }
    expect(accepted).toEqual([]);
  };

  it('in v1 and v2', () => {
    everyFlip(v1, verifyV1);
    everyFlip(v2, verifyV2);
  });

  it('in the delta, through apply and verify', () => {
    everyFlip(delta12, (tampered) => {
      const rebuilt = applyDelta(v1, tampered);
      return rebuilt.ok ? verifyV2(rebuilt.value) : rebuilt;
    });
  });

  it('truncated anywhere, or with a byte appended', () => {
    for (let length = 0; length < v2.length; length++) expect(verifyV2(v2.subarray(0, length)).ok).toBe(false);
    expectError(verifyV2(concat(v2, Uint8Array.of(0))), 'TRAILING_BYTES', 'a4', v2.length);
  });
});

describe('each §12.2 check rejects', () => {
  const P0 = unix('2026-12-01T00:00:00Z');
  const WEEK = 7 * 86_400;
  const other = keyPair(hex('0c7f4b6a7e34e5bd6fbbd9bf48d1e57bdb3e2b0c1d5ef5e0a8d2b5c6f1f2e3d4'));
  const cert = (certificateNumber: number, more: Partial<Parameters<typeof a3>[0]> = {}) => a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber, ...more });
  const base = (more: Partial<RawBundle> = {}): RawBundle => ({
    a2: [a2(rootKeys, 1)],
    a3: [cert(1), cert(2)],
    a4: a4(rootKeys, 1, 5, P0, P0 + WEEK),
    ...more,
  });
  const check = (raw: RawBundle, input: Partial<BundleVerificationInput> = {}, signer = rootKeys) =>
    verifyBundle({ bundle: assembleBundle(raw, signer), trustedRoots: exampleTrust, now: at(P0), ...input });
  const previous = assembleBundle(base());

  it('accepts the base bundle (so each rejection below is its one change)', () => {
    expect(check(base()).ok).toBe(true);
    expect(check(base({ manifest: { version: 2 } }), { previous }).ok).toBe(true);
  });

  it('with previousVerified, re-verifies only the A3 records that are not byte-identical to the verified predecessor’s', () => {
    const badSignature = cert(2).slice();
    badSignature[183] ^= 1;
    // A P holding a bad record stands for a P this verifier accepted: with the option its identical record is trusted, without it is not.
    const held = assembleBundle(base({ a3: [cert(1), badSignature] }));
    const next = base({ manifest: { version: 2 }, a3: [cert(1), badSignature] });
    expect(check(next, { previous: held, previousVerified: true }).ok).toBe(true);
    expect(check(next, { previous: held }).ok).toBe(false);
    // A record that changed, or a new one, is verified as usual.
    expect(check(base({ manifest: { version: 2 }, a3: [cert(1), badSignature] }), { previous, previousVerified: true }).ok).toBe(false);
    const badNew = cert(3).slice();
    badNew[183] ^= 1;
    expect(check(base({ manifest: { version: 2 }, a3: [cert(1), cert(2), badNew] }), { previous, previousVerified: true }).ok).toBe(false);
  });

  it('1: counts off, records out of order, trailing bytes', () => {
    const a2At = 122;
    const a3At = a2At + 109;
    expectError(check(base({ manifest: { a3Count: 3 } })), 'RECORD_COUNT', 'a3[2].tag', a3At + 2 * 184);
    expectError(check(base({ manifest: { a3Count: 1 } })), 'RECORD_COUNT', 'a4.tag', a3At + 184);
    expectError(check(base({ manifest: { a2Count: 2 } })), 'RECORD_COUNT', 'a2[1].tag', a3At);
    expectError(check(base({ a3: [cert(2), cert(1)] })), 'RECORD_ORDER', 'a3[1].certificateNumber', a3At + 184 + 2);
    expectError(check(base({ a3: [cert(1), cert(1)] })), 'RECORD_ORDER', 'a3[1].certificateNumber', a3At + 184 + 2);
    expectError(check(base({ a2: [a2(other, 2), a2(rootKeys, 1)] })), 'RECORD_ORDER', 'a2[1].rootKeyIndex', a2At + 109 + 5);
    const trailing = base({ trailing: Uint8Array.of(0xa3) });
    expectError(check(trailing), 'TRAILING_BYTES', 'a4', assembleBundle(trailing).length - 1);
    const versionZero = previous.slice();
    versionZero.fill(0, 6, 10);
    expectError(verifyBundle({ bundle: versionZero, trustedRoots: exampleTrust, now: at(P0) }), 'BUNDLE_VERSION_ZERO', 'manifest.version', 6);
  });

  it('2: unknown or unlisted signing index, a conflicting trusted key, a bad manifest signature, wrong center', () => {
    expectError(check(base(), { trustedRoots: [{ rootKeyIndex: 2, publicKey: rootKeys.publicKey }] }), 'ROOT_UNTRUSTED', 'manifest.rootKeyIndex', 1);
    expectError(check(base({ manifest: { rootKeyIndex: 2 } }), { trustedRoots: [...exampleTrust, { rootKeyIndex: 2, publicKey: other.publicKey }] }, other), 'ROOT_NOT_LISTED', 'manifest.rootKeyIndex', 1);
    expectError(check(base(), { trustedRoots: [{ rootKeyIndex: 1, publicKey: other.publicKey }] }), 'ROOT_KEY_CONFLICT', 'a2[0].publicKey', 122 + 9);
    expectError(check(base(), {}, other), 'SIGNATURE_INVALID', 'manifest.rootSignature', 58);
    expectError(check(base({ a2: [a2(rootKeys, 1), a2(other, 2, 2)] })), 'CENTER_MISMATCH', 'a2[1].clearingCenterId', 122 + 109 + 1);
    expectError(check(base(), { centerId: 2 }), 'CENTER_MISMATCH', 'manifest.clearingCenterId', 2);
    expect(check(base(), { centerId: 1 }).ok).toBe(true);
  });

  it('3: SM3 of the body', () => {
    expectError(check(base({ manifest: { bodyDigest: new Uint8Array(32) } })), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
  });

  it('3, in the builder’s check: its digest stands for SM3 only over exactly the body of exactly the bytes checked', () => {
    const good = unwrap(decodeBundle(assembleBundle(base())));
    const misstated = good.bytes.slice();
    misstated[26] ^= 1;
    const wrong = unwrap(decodeBundle(misstated));
    // The builder's check: no manifest signature yet, so check 3 is the one that must catch a misstated digest.
    const builderCheck = (bundle: Bundle, digested: DigestedRange) => checkDecodedBundle(bundle, { trustedRoots: exampleTrust, now: at(P0), skewSeconds: 0, previous: undefined }, { has: () => false }, false, digested);
    expect(builderCheck(good, digestBody(good.bytes)).ok).toBe(true);
    // The true SM3 at hand, a manifest stating another: refused.
    expectError(builderCheck(wrong, digestBody(wrong.bytes)), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
    // A digest that agrees with the misstated field, but for another range, or for a copy of the bytes: not taken, the body is hashed.
    const body = wrong.bytes.length - 122;
    expectError(builderCheck(wrong, { bytes: wrong.bytes, offset: 0, length: body, digest: wrong.manifest.bodyDigest }), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
    expectError(builderCheck(wrong, { bytes: wrong.bytes, offset: 122, length: body - 1, digest: wrong.manifest.bodyDigest }), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
    expectError(builderCheck(wrong, { bytes: wrong.bytes.slice(), offset: 122, length: body, digest: wrong.manifest.bodyDigest }), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
    // The digest the bytes state is compared, not only the decoded value.
    expectError(builderCheck({ ...good, bytes: misstated }, digestBody(misstated)), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
  });

  it('4: rollback, same version with other bytes, publication in the future, freeze, expiry past the A4', () => {
    const newer = assembleBundle(base({ manifest: { version: 3 } }));
    expectError(check(base({ manifest: { version: 2 } }), { previous: newer }), 'BUNDLE_ROLLBACK', 'manifest.version', 6);
    expectError(check(base({ a3: [cert(1)] }), { previous }), 'BUNDLE_VERSION_CONFLICT', 'manifest.version', 6);
    expectError(check(base(), { previous }), 'BUNDLE_VERSION_CONFLICT', 'manifest.version', 6); // same content, another signature
    expect(verifyBundle({ bundle: previous, trustedRoots: exampleTrust, previous, now: at(P0) }).ok).toBe(true);
    expect(check(base(), { now: at(P0 - 300) }).ok).toBe(true);
    expectError(check(base(), { now: at(P0 - 301) }), 'BUNDLE_NOT_YET_VALID', 'manifest.publicationTime', 10);
    expect(check(base(), { now: at(P0 - 10), skewSeconds: 10 }).ok).toBe(true);
    expect(check(base(), { now: at(P0 + WEEK - 1) }).ok).toBe(true);
    expectError(check(base(), { now: at(P0 + WEEK) }), 'BUNDLE_EXPIRED', 'manifest.expires', 14);
    expectError(check(base({ a4: a4(rootKeys, 1, 5, P0, P0 + WEEK - 1), manifest: { expires: P0 + WEEK } })), 'EXPIRES_AFTER_NEXT_UPDATE', 'manifest.expires', 14);
    const invalidTime = check(base(), { now: new Date(Number.NaN) });
    expect(invalidTime.ok || invalidTime.error).toMatchObject({ code: 'TIME_INVALID', field: 'at' });
    const badSkew = check(base(), { skewSeconds: -1 });
    expect(badSkew.ok || badSkew.error).toMatchObject({ code: 'VALUE_RANGE', field: 'skewSeconds' });
  });

  it('5: an A2 check value; a new index enters T only through a trusted manifest signature', () => {
    const record = a2(other, 2);
    record[77] ^= 1;
    expectError(check(base({ a2: [a2(rootKeys, 1), record] })), 'CHECK_VALUE_MISMATCH', 'a2[1].checkValue', 122 + 109 + 77);
    const rotated = unwrap(check(base({ a2: [a2(rootKeys, 1), a2(other, 2)] })));
    expect(rotated.trustedRoots.map((r) => [r.rootKeyIndex, toHex(('verify' in r.publicKey ? r.publicKey.publicKey : r.publicKey).bytes)])).toEqual([
      [1, toHex(rootKeys.publicKey.bytes)],
      [2, toHex(other.publicKey.bytes)],
    ]);
    const rebound = { trustedRoots: [...exampleTrust, { rootKeyIndex: 2, publicKey: rootKeys.publicKey }] };
    expectError(check(base({ a2: [a2(rootKeys, 1), a2(other, 2)] }), rebound), 'ROOT_KEY_CONFLICT', 'a2[1].publicKey', 122 + 109 + 9);
    const underNew = base({ a2: [a2(rootKeys, 1), a2(other, 2)], a4: a4(other, 2, 6, P0, P0 + WEEK), manifest: { rootKeyIndex: 2, version: 2 } });
    expectError(check(underNew, {}, other), 'ROOT_UNTRUSTED', 'manifest.rootKeyIndex', 1);
    expect(check(underNew, { trustedRoots: rotated.trustedRoots, previous: rotated.bundle }, other).ok).toBe(true);
  });

  it('6: A3 under an unlisted root, a bad A3 or certificate signature, an expired certificate, a rebound number', () => {
    const a3At = 122 + 109;
    expectError(check(base({ a3: [cert(1, { rootKeyIndex: 2, root: other })] })), 'ROOT_NOT_LISTED', 'a3[0].rootKeyIndex', a3At + 1);
    const forged = cert(1);
    forged[130] ^= 1;
    expectError(check(base({ a3: [forged] })), 'SIGNATURE_INVALID', 'a3[0].rootSignature', a3At + 120);
    expectError(check(base({ a3: [cert(1, { certificateSigner: other })] })), 'SIGNATURE_INVALID', 'a3[0].certificate.rootSignature', a3At + 10 + 42);
    expectError(check(base({ a3: [cert(1, { expiry: { year: 2026, month: 11 } })] })), 'CERT_EXPIRED', 'a3[0].certificate.expiry', a3At + 10 + 1);
    expect(check(base({ a3: [cert(1, { expiry: { year: 2026, month: 12 } })] })).ok).toBe(true);
    const next = { manifest: { version: 2 } };
    expectError(check(base({ ...next, a3: [cert(1, { issuerId: 0x1002 }), cert(2)] }), { previous }), 'CERT_REBOUND', 'a3[0].issuerId', a3At + 6);
    expectError(check(base({ ...next, a3: [cert(1, { serial: 9 }), cert(2)] }), { previous }), 'CERT_REBOUND', 'a3[0].certificate', a3At + 10);
    expect(check(base({ ...next, a3: [cert(2), cert(3)] }), { previous }).ok).toBe(true);
  });

  it('7: A4 signature, sequence vs manifest, sequence going back or rebound, a revoked number still listed', () => {
    const a4At = 122 + 109 + 2 * 184;
    const next = { manifest: { version: 2 } };
    const forged = a4(rootKeys, 1, 5, P0, P0 + WEEK);
    forged[20] ^= 1;
    expectError(check(base({ a4: forged })), 'SIGNATURE_INVALID', 'a4.rootSignature', a4At + 16);
    expectError(check(base({ a4: a4(other, 2, 5, P0, P0 + WEEK) })), 'ROOT_NOT_LISTED', 'a4.rootKeyIndex', a4At + 1);
    expectError(check(base({ manifest: { revocationSequenceNumber: 6 } })), 'REVOCATION_SEQUENCE_MISMATCH', 'a4.sequenceNumber', a4At + 2);
    expectError(check(base({ ...next, a4: a4(rootKeys, 1, 4, P0, P0 + WEEK) }), { previous }), 'REVOCATION_SEQUENCE', 'a4.sequenceNumber', a4At + 2);
    expectError(check(base({ ...next, a4: a4(rootKeys, 1, 5, P0 + 1, P0 + WEEK) }), { previous }), 'REVOCATION_SEQUENCE', 'a4.sequenceNumber', a4At + 2);
    expect(check(base({ ...next, a4: a4(rootKeys, 1, 6, P0, P0 + WEEK) }), { previous }).ok).toBe(true);
    const revoked = a4(rootKeys, 1, 5, P0, P0 + WEEK, [{ certificateNumber: 2, issuerId: 0x1001, serial: 2, reason: 'superseded' }]);
    expectError(check(base({ a4: revoked })), 'CERT_REVOKED', 'a3[1].certificateNumber', 122 + 109 + 184 + 2);
  });

  it('a previous bundle that does not decode is named as such', () => {
    const result = check(base(), { previous: v1.subarray(0, 100) });
    expect(result.ok || result.error).toMatchObject({ code: 'LENGTH_INVALID', field: 'previous.manifest' });
  });

  it('a3 errors carry the absolute offset of the nested field', () => {
    const layout = bundleLayout(unwrap(decodeBundle(v2)).manifest);
    const tampered = v2.slice();
    tampered[layout.a3(0) + 10 + 1] = 0x13; // certificate expiry month 13
    expectError(verifyV2(tampered), 'MONTH_INVALID', 'a3[0].certificate.expiry', layout.a3(0) + 11);
  });
});

describe('buildBundle', () => {
  const P0 = unix('2026-12-01T00:00:00Z');
  const WEEK = 7 * 86_400;
  const signer = (key = rootKeys) => {
    const calls: Uint8Array[] = [];
    const sign = async (message: Uint8Array): Promise<Result<Uint8Array>> => {
      calls.push(message);
      return ok(sm2.sign(message, key.d));
    };
    return { calls, sign };
  };
  const contents = (more: Partial<BundleContents> = {}): BundleContents => ({
    manifest: { rootKeyIndex: 1, clearingCenterId: 1, version: 1, publicationTime: P0, expires: P0 + WEEK },
    rootKeys: [a2(rootKeys, 1)],
    certificates: [a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 7 }), a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 3 })],
    revocationList: a4(rootKeys, 1, 1, P0, P0 + WEEK),
    ...more,
  });

  it('sorts the records, derives counts, sequence and SM3, and returns a bundle a client accepts', async () => {
    const { calls, sign } = signer();
    const bundle = unwrap(await buildBundle(contents(), sign));
    expect(bundle.certificates.map((c) => c.certificateNumber)).toEqual([3, 7]);
    expect(bundle.manifest).toMatchObject({ a2Count: 1, a3Count: 2, revocationSequenceNumber: 1 });
    expect(calls).toHaveLength(1);
    expect(toHex(calls[0])).toBe(toHex(bundle.bytes.subarray(0, 58)));
    expect(verifyBundle({ bundle: bundle.bytes, trustedRoots: exampleTrust, now: at(P0) }).ok).toBe(true);
  });

  it('signs exactly manifest bytes 0–57 with the default ID: an independent SM2 (sm-crypto) as the signer, and as the verifier', async () => {
    const bundle = unwrap(await buildBundle(contents(), async (message) => ok(smCryptoSign(message, rootKeys.d))));
    expect(smCryptoVerify(bundle.bytes.subarray(0, 58), bundle.manifest.rootSignature, rootKeys.publicKey.bytes)).toBe(true);
  });

  it('rebuilds the worked example’s v2 body from its records', async () => {
    const decoded = unwrap(decodeBundle(v2));
    const layout = bundleLayout(decoded.manifest);
    const built = unwrap(
      await buildBundle(
        {
          manifest: decoded.manifest,
          rootKeys: [v2.slice(layout.a2(0), layout.a3(0))],
          certificates: [v2.slice(layout.a3(0), layout.a4)],
          revocationList: v2.slice(layout.a4),
          previous: v1,
        },
        async () => ok(decoded.manifest.rootSignature),
      ),
    );
    expect(toHex(built.bytes)).toBe(vector.v2.bundle);
  });

  it('refuses, before signing, what a client would reject', async () => {
    const { calls, sign } = signer();
    const refuse = async (more: Partial<BundleContents>, code: string, field: string) => {
      const result = await buildBundle(contents(more), sign);
      expect(result.ok || { code: result.error.code, field: result.error.field }).toEqual({ code, field });
    };
    const other = keyPair(hex('0c7f4b6a7e34e5bd6fbbd9bf48d1e57bdb3e2b0c1d5ef5e0a8d2b5c6f1f2e3d4'));
    const twice = a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 3 });
    await refuse({ certificates: [twice, twice] }, 'RECORD_ORDER', 'a3[1].certificateNumber');
    await refuse({ rootKeys: [a2(rootKeys, 1), a2(other, 1)] }, 'RECORD_ORDER', 'a2[1].rootKeyIndex');
    await refuse({ rootKeys: [a2(other, 2)] }, 'ROOT_NOT_LISTED', 'manifest.rootKeyIndex');
    await refuse({ rootKeys: [a2(rootKeys, 1), a2(other, 2, 2)] }, 'CENTER_MISMATCH', 'a2[1].clearingCenterId');
    await refuse({ rootKeys: [a2(rootKeys, 1, 1, { year: 2026, month: 11, day: 30 })] }, 'ROOT_KEY_EXPIRED', 'rootKeys[0].expiry');
    await refuse({ revocationList: a4(other, 2, 1, P0, P0 + WEEK) }, 'WRONG_ROOT', 'revocationList.rootKeyIndex');
    await refuse({ revocationList: a4(rootKeys, 1, 1, P0, P0 + WEEK - 1) }, 'EXPIRES_AFTER_NEXT_UPDATE', 'manifest.expires');
    await refuse(
      { revocationList: a4(rootKeys, 1, 1, P0, P0 + WEEK, [{ certificateNumber: 7, issuerId: 0x1001, serial: 7, reason: 'superseded' }]) },
      'CERT_REVOKED',
      'a3[1].certificateNumber',
    );
    await refuse({ certificates: [a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 3, expiry: { year: 2026, month: 11 } })] }, 'CERT_EXPIRED', 'a3[0].certificate.expiry');
    await refuse({ certificates: [a3({ root: other, rootKeyIndex: 1, certificateNumber: 3 })] }, 'SIGNATURE_INVALID', 'a3[0].rootSignature');
    await refuse({ manifest: { ...contents().manifest, expires: P0 } }, 'MANIFEST_EXPIRY_ORDER', 'manifest.expires');
    await refuse({ manifest: { ...contents().manifest, version: 0 } }, 'BUNDLE_VERSION_ZERO', 'manifest.version');
    await refuse({ previous: assembleBundle({ a2: [a2(rootKeys, 1)], a3: [], a4: a4(rootKeys, 1, 1, P0, P0 + WEEK), manifest: { version: 2 } }) }, 'BUNDLE_ROLLBACK', 'manifest.version');
    await refuse({ certificates: [new Uint8Array(10)] }, 'LENGTH_INVALID', 'certificates[0].certificateRecord');
    expect(calls).toEqual([]);
  });

  it('from a verified predecessor’s changes, still refuses a record it keeps that has expired since', async () => {
    const { sign } = signer();
    const early = a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 3, expiry: { year: 2027, month: 1 } });
    const previous = unwrap(await buildBundle(contents({ certificates: [early, a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 7 })] }), sign));
    const successor = (publicationTime: number) =>
      buildBundle(
        {
          ...contents({ manifest: { rootKeyIndex: 1, clearingCenterId: 1, version: 2, publicationTime, expires: publicationTime + WEEK } }),
          revocationList: a4(rootKeys, 1, 2, publicationTime, publicationTime + WEEK),
          certificates: { removed: [7], added: [a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 9 })] },
          previous,
          previousVerified: true,
        },
        sign,
      );
    expect(unwrap(await successor(unix('2027-01-15T00:00:00Z'))).certificates.map((c) => c.certificateNumber)).toEqual([3, 9]);
    const late = await successor(unix('2027-02-15T00:00:00Z'));
    expect(late.ok || { code: late.error.code, field: late.error.field }).toEqual({ code: 'CERT_EXPIRED', field: 'a3[0].certificate.expiry' });
  });

  it('passes the signer’s error through and refuses a signature that does not verify', async () => {
    const failing = await buildBundle(contents(), async () => err('HSM_DEVICE_ERROR', 'token removed'));
    expect(failing.ok || failing.error.code).toBe('HSM_DEVICE_ERROR');
    const short = await buildBundle(contents(), async () => ok(new Uint8Array(63)));
    expect(short.ok || short.error.code).toBe('SIGNATURE_LENGTH');
    const other = keyPair(hex('0c7f4b6a7e34e5bd6fbbd9bf48d1e57bdb3e2b0c1d5ef5e0a8d2b5c6f1f2e3d4'));
    const wrongKey = await buildBundle(contents(), signer(other).sign);
    expectError(wrongKey, 'SIGNATURE_INVALID', 'manifest.rootSignature', 58);
  });

  it('signs an unsigned A4 with the manifest’s signer, first or while it hashes a successor, and refuses what a client would', async () => {
    const { rootSignature: _, ...unsigned } = unwrap(revocationList.decode(a4(rootKeys, 1, 2, P0 + 60, P0 + WEEK)));
    const first = unwrap(await buildBundle(contents(), signer().sign));
    const successorOf = (sign: (m: Uint8Array) => Promise<Result<Uint8Array>>, previous?: Bundle) =>
      buildBundle(
        contents({
          manifest: { rootKeyIndex: 1, clearingCenterId: 1, version: 2, publicationTime: P0 + 60, expires: P0 + WEEK },
          revocationList: { unsigned },
          ...(previous ? { certificates: { removed: [7], added: [] }, previous, previousVerified: true } : { certificates: [a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber: 3 })] }),
        }),
        sign,
      );
    for (const previous of [first, undefined]) {
      const { calls, sign } = signer();
      const built = unwrap(await successorOf(sign, previous));
      // The A4's bytes first, then the manifest's; the A4 in the bundle verifies under the root key.
      expect(calls.map((m) => m.length)).toEqual([revocationList.toBeSigned(unsigned).length, 58]);
      expect(built.revocationList).toMatchObject({ ...unsigned, rootSignature: expect.any(Uint8Array) });
      expect(verifyBundle({ bundle: built.bytes, trustedRoots: [{ rootKeyIndex: 1, publicKey: rootKeys.publicKey }], now: at(P0 + 60) }).ok).toBe(true);
      const failing = await successorOf(async () => err('HSM_DEVICE_ERROR', 'token removed'), previous);
      expect(failing.ok || failing.error.code).toBe('HSM_DEVICE_ERROR');
      const short = await successorOf(async () => ok(new Uint8Array(63)), previous);
      expect(short.ok || { code: short.error.code, field: short.error.field }).toEqual({ code: 'SIGNATURE_LENGTH', field: 'revocationList.rootSignature' });
      const other = keyPair(hex('0c7f4b6a7e34e5bd6fbbd9bf48d1e57bdb3e2b0c1d5ef5e0a8d2b5c6f1f2e3d4'));
      const wrongKey = await successorOf(signer(other).sign, previous);
      // The A4 is the first thing the client's check finds signed by a key it does not trust.
      expect(wrongKey.ok || { code: wrongKey.error.code, field: wrongKey.error.field }).toEqual({ code: 'SIGNATURE_INVALID', field: 'a4.rootSignature' });
    }
  });
});

describe('delta rules (§12.3)', () => {
  const apply = (delta: Uint8Array, previous = v1) => applyDelta(previous, delta);
  const header = 122;
  const patched = (offset: number, bytes: number[]) => {
    const out = delta12.slice();
    out.set(bytes, offset);
    return out;
  };

  it('refuses another base version, an absent removal, a present addition, unsorted numbers, a bad count, a backwards delta', () => {
    expectError(apply(delta12, v2), 'DELTA_BASE_MISMATCH', 'delta.fromVersion', header + 1);
    expectError(apply(patched(header + 7, [0, 0, 0, 9])), 'DELTA_REMOVED_ABSENT', 'delta.removed[0]', header + 7);
    // v1 → v1 with nothing removed: the added 00000002 is new, but a delta that re-adds 00000001 is refused.
    const noRemoval = concat(delta12.subarray(0, header + 5), Uint8Array.of(0, 0), delta12.subarray(header + 11));
    expectError(apply(noRemoval), 'RECORD_COUNT', 'delta.addedCount', header + 7);
    const v1Record = v1.subarray(122 + 109, 122 + 109 + 184);
    const readd = concat(noRemoval.subarray(0, header + 7), Uint8Array.of(0, 1), noRemoval.subarray(header + 9, header + 9 + 109), v1Record, noRemoval.subarray(header + 9 + 109 + 184));
    expectError(apply(readd), 'DELTA_ADDED_PRESENT', 'added[0].certificateNumber', header + 9 + 109 + 2);
    const twoRemoved = concat(delta12.subarray(0, header + 5), Uint8Array.of(0, 2, 0, 0, 0, 1, 0, 0, 0, 1), delta12.subarray(header + 11));
    expectError(apply(twoRemoved), 'RECORD_ORDER', 'delta.removed[1]', header + 11);
    expectError(apply(patched(header, [0xa3])), 'RECORD_TYPE', 'delta.tag', header);
    expectError(makeDelta(v2, v1), 'BUNDLE_ROLLBACK', 'to.manifest.version', 6);
  });

  it('rebuilds in number order when an added record sorts before a kept one, and replaces a re-signed record', () => {
    const P0 = unix('2026-12-01T00:00:00Z');
    const record = (certificateNumber: number, issueTime = P0 - 86_400) => a3({ root: rootKeys, rootKeyIndex: 1, certificateNumber, issueTime });
    const bundle = (version: number, certificates: Uint8Array[]) =>
      assembleBundle({ a2: [a2(rootKeys, 1)], a3: certificates, a4: a4(rootKeys, 1, version, P0, P0 + 86_400), manifest: { version } });
    const u = bundle(1, [record(2), record(5), record(9)]);
    const v = bundle(2, [record(1), record(5, P0 - 3600), record(7), record(9)]);
    const delta = unwrap(makeDelta(u, v));
    expect(unwrap(decodeDelta(delta))).toMatchObject({ fromVersion: 1, removed: [2, 5] });
    expect(unwrap(decodeDelta(delta)).added.map((c) => c.certificateNumber)).toEqual([1, 5, 7]);
    expect(toHex(unwrap(applyDelta(u, delta)))).toBe(toHex(v));
    expect(verifyBundle({ bundle: unwrap(applyDelta(u, delta)), trustedRoots: exampleTrust, previous: u, now: at(P0) }).ok).toBe(true);
  });

  it('a digest mismatch is found after rebuilding', () => {
    // Same structure, an added record whose issue time differs: every record decodes, the rebuilt body does not hash.
    const tampered = delta12.slice();
    const issueTimeAt = header + 11 + 109 + 116;
    tampered[issueTimeAt + 3] ^= 1;
    expectError(apply(tampered), 'BODY_DIGEST_MISMATCH', 'manifest.bodyDigest', 26);
  });
});
