/**
 * 100 000 random or mutated inputs per decoder: each answers a typed error (a known code, a
 * field, an offset inside the input) or a value that re-encodes to exactly the input bytes.
 * Never an exception. Inputs come from a seeded generator, so a failure reproduces.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { equal, toHex } from '../bytes';
import { Code, type Result } from '../errors';
import { certificateRecord } from './certificateRecord';
import { decodeRecord, type DistributionRecord } from './distributionRecord';
import { CODEC_ERROR_CODES } from './errorCodes';
import { issuerCertificate } from './issuerCertificate';
import { issuerKeyData } from './issuerKeyData';
import { qrCode } from './qrCode';
import { requestRecord } from './requestRecord';
import { revocationList } from './revocationList';
import { rootKeyRecord } from './rootKeyRecord';
import * as arb from './testArbitraries';

const INPUTS = 100_000;
/** The codecs' own codes, and lib/crypto's key checks, which the decoders pass through. */
const KNOWN = new Set<string>([...Object.keys(CODEC_ERROR_CODES), Code.KEY_COORDINATE_RANGE, Code.KEY_NOT_ON_CURVE, Code.KEY_PREFIX]);

/** mulberry32: small, fast, seeded. */
function generator(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const below = (n: number) => Math.floor(next() * n);
  // Random bytes are slices of one seeded pool: filling each input byte by byte costs more than decoding it.
  const pool = Uint8Array.from({ length: 1 << 16 }, () => below(256));
  const bytes = (n: number) => {
    const from = below(pool.length - n);
    return pool.slice(from, from + n);
  };
  return { below, bytes };
}

/**
 * Most inputs are random bytes (any length near the structure's, or its exact length with
 * the right first byte). One in seven mutates a valid encoding: 1–4 byte changes, a cut, an
 * extension, or a random tail after a valid prefix; those reach the key parse (a modular
 * square root for compressed keys), which dominates the run time.
 */
function* inputs(valid: readonly Uint8Array[], seed: number): Generator<Uint8Array> {
  const rng = generator(seed);
  for (let i = 0; i < INPUTS; i++) {
    const base = valid[rng.below(valid.length)];
    const kind = rng.below(70) - 60;
    if (kind < 0) {
      yield rng.bytes(rng.below(base.length + 16));
    } else if (kind <= 1) {
      const out = rng.bytes(base.length);
      out[0] = base[0];
      yield out;
    } else if (kind <= 6) {
      const out = base.slice();
      for (let n = 1 + rng.below(4); n > 0; n--) out[rng.below(out.length)] = rng.below(256);
      yield out;
    } else if (kind === 7) {
      yield base.slice(0, rng.below(base.length));
    } else if (kind === 8) {
      const out = new Uint8Array(base.length + 1 + rng.below(12));
      out.set(base);
      out.set(rng.bytes(out.length - base.length), base.length);
      yield out;
    } else {
      const out = base.slice();
      const from = rng.below(out.length);
      out.set(rng.bytes(out.length - from), from);
      yield out;
    }
  }
}

function fuzz<T>(name: string, valid: readonly Uint8Array[], decode: (b: Uint8Array) => Result<T>, reencode: (v: T) => Uint8Array, seed: number) {
  it(`${name}: ${INPUTS} inputs, typed errors or canonical values only`, () => {
    let accepted = 0;
    for (const input of inputs(valid, seed)) {
      let result: Result<T>;
      try {
        result = decode(input);
      } catch (e) {
        throw new Error(`${name} threw on ${toHex(input)}: ${String(e)}`);
      }
      if (result.ok) {
        accepted++;
        if (!equal(reencode(result.value), input)) throw new Error(`${name} accepted a non-canonical encoding ${toHex(input)}`);
      } else {
        const { code, field, offset } = result.error;
        if (!KNOWN.has(code) || typeof field !== 'string' || !(offset! >= 0 && offset! <= input.length)) {
          throw new Error(`${name}: untyped error ${JSON.stringify(result.error)} for ${toHex(input)}`);
        }
      }
    }
    // Mutations that keep a structure valid exist (e.g. a changed serial); all-rejecting would hide a broken decoder.
    expect(accepted).toBeGreaterThan(0);
  });
}

const samples = <T>(arbitrary: fc.Arbitrary<T>, encode: (v: T) => Uint8Array) => fc.sample(arbitrary, { numRuns: 8, seed: 42 }).map(encode);

const encodeRecord = (r: DistributionRecord): Uint8Array => {
  switch (r.kind) {
    case 'request':
      return requestRecord.encode(r.record);
    case 'rootKey':
      return rootKeyRecord.encode(r.record);
    case 'certificate':
      return certificateRecord.encode(r.record);
    case 'revocationList':
      return revocationList.encode(r.record);
  }
};

describe('decoders never throw', () => {
  fuzz('issuerKeyData', samples(arb.keyData, issuerKeyData.encode), issuerKeyData.decode, issuerKeyData.encode, 1);
  fuzz('issuerCertificate', samples(arb.certificate, issuerCertificate.encode), issuerCertificate.decode, issuerCertificate.encode, 2);
  fuzz('qrCode', samples(arb.qr, qrCode.encode), qrCode.decode, qrCode.encode, 3);
  fuzz('requestRecord', samples(arb.request, requestRecord.encode), requestRecord.decode, requestRecord.encode, 4);
  fuzz('rootKeyRecord', samples(arb.rootKey, rootKeyRecord.encode), rootKeyRecord.decode, rootKeyRecord.encode, 5);
  fuzz('certificateRecord', samples(arb.certificateRecordValue, certificateRecord.encode), certificateRecord.decode, certificateRecord.encode, 6);
  fuzz('revocationList', samples(arb.revocation, revocationList.encode), revocationList.decode, revocationList.encode, 7);
  fuzz(
    'decodeRecord',
    [
      ...samples(arb.request, requestRecord.encode),
      ...samples(arb.rootKey, rootKeyRecord.encode),
      ...samples(arb.certificateRecordValue, certificateRecord.encode),
      ...samples(arb.revocation, revocationList.encode),
    ],
    decodeRecord,
    encodeRecord,
    8,
  );
});
