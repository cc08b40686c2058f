import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { toHex } from '../bytes';
import { sm3 } from '../crypto/sm3';
import { canonicalJson, isSurelyCanonicalAsciiJson, isSurelyCanonicalJson, normalizeJson, type CanonicalJson } from './canonicalJson';
import { encodeEvent, eventHash, GENESIS_HASH, type ChainedFields } from './chain';
import { verifyChain, type StoredEvent } from './verify';

describe('canonical JSON', () => {
  it('sorts keys by UTF-16 code units at every depth and drops whitespace', () => {
    const value = normalizeJson({ b: 1, a: [{ z: true, y: null }], é: 'x', B: 'upper', '\ud83d\ude00': 1, '\uffff': 2 });
    expect(value.ok).toBe(true);
    // 'B' (0x42) < 'a' < 'b' < 'é' (0xe9) < '😀' (0xd83d…) < '\uffff'
    expect(canonicalJson(value.ok ? value.value : null)).toBe('{"B":"upper","a":[{"y":null,"z":true}],"b":1,"é":"x","😀":1,"\uffff":2}');
  });

  it('normalises bytes, dates, bigints, -0 and undefined members', () => {
    const value = normalizeJson({ k: new Uint8Array([0, 0xab]), t: new Date('2026-01-02T03:04:05.006Z'), n: 2n ** 70n, z: -0, u: undefined, a: [undefined] });
    expect(value).toEqual({ ok: true, value: { k: '00ab', t: '2026-01-02T03:04:05.006Z', n: '1180591620717411303424', z: 0, a: [null] } });
  });

  it.each([
    ['NaN', { x: Number.NaN }, 'details.x'],
    ['Infinity', { x: [Infinity] }, 'details.x[0]'],
    ['NUL in a string', { x: 'a\u0000b' }, 'details.x'],
    ['a lone surrogate', { x: '\ud800' }, 'details.x'],
    ['a function', { x: () => 1 }, 'details.x'],
    ['a class instance', { x: new Map() }, 'details.x'],
  ])('refuses %s with a typed error naming the path', (_name, value, field) => {
    const r = normalizeJson(value, 'details');
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'AUDIT_DETAILS_INVALID', field });
  });

  it('is a fixed point: what jsonb gives back (JSON.parse of the text) canonicalises to the same text', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.string({ unit: 'grapheme' }), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(fc.string({ unit: 'grapheme' }), tie('value'), { maxKeys: 4 }),
    })).value;
    fc.assert(
      fc.property(json, (v) => {
        const n = normalizeJson(v);
        if (!n.ok) return n.error.code === 'AUDIT_DETAILS_INVALID';
        const text = canonicalJson(n.value);
        const again = normalizeJson(JSON.parse(text));
        return again.ok && canonicalJson(again.value) === text;
      }),
    );
  });

  it('has a one-scan check that never accepts a text the full check refuses, and accepts the common canonical texts', () => {
    const json = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.constant(null), fc.boolean(), fc.double({ noNaN: true, noDefaultInfinity: true }), fc.integer(), fc.string({ unit: 'binary' }), tie('array'), tie('object')),
      array: fc.array(tie('value'), { maxLength: 4 }),
      object: fc.dictionary(fc.string({ unit: 'binary', maxLength: 3 }), tie('value'), { maxKeys: 4 }),
    })).value;
    const fullCheck = (text: string) => {
      try {
        const n = normalizeJson(JSON.parse(text));
        return n.ok && canonicalJson(n.value) === text;
      } catch {
        return false;
      }
    };
    // Texts of values, as JSON.stringify writes them (unsorted keys, -0) and canonical, and with one character changed.
    const texts = fc.oneof(
      json.map((v) => JSON.stringify(v)),
      json.map((v) => {
        const n = normalizeJson(v);
        return n.ok ? canonicalJson(n.value) : 'null';
      }),
      fc.tuple(json, fc.nat(), fc.string({ unit: 'binary', minLength: 1, maxLength: 2 })).map(([v, at, c]) => {
        const text = JSON.stringify(v);
        const i = at % (text.length + 1);
        return text.slice(0, i) + c + text.slice(i + 1);
      }),
    );
    fc.assert(fc.property(texts, (text) => !isSurelyCanonicalJson(text) || fullCheck(text)), { numRuns: 5000 });
    // The bytes form gives the string form's answer for ASCII text (whole or cut short), read within its bounds (the bytes
    // around it would close a value), and refuses any other.
    const ascii = (text: string) => /^[\x00-\x7f]*$/.test(text);
    fc.assert(
      fc.property(fc.oneof(texts, texts.chain((t) => fc.nat(t.length).map((n) => t.slice(0, n)))), fc.constantFrom('', '}', ']', '0', '"'), (text, around) => {
        const bytes = Buffer.from(`${around}${text}}"0`, 'utf8');
        const answer = isSurelyCanonicalAsciiJson(bytes, around.length, bytes.length - 3);
        return ascii(text) ? answer === isSurelyCanonicalJson(text) : answer === false;
      }),
      { numRuns: 5000 },
    );
    for (const text of ['{}', '[]', '{"a":[1,2.5,-3,true,false,null],"b":{"c":"x\\"y\\\\"},"é":"北京","😀":0.1}', '{"issuer":"e3c0f1a3","reason":null,"serial":"3aff3a42"}', '{"a":1,"ab":2}']) {
      expect([text, isSurelyCanonicalJson(text)]).toEqual([text, true]);
    }
    for (const text of ['{"b":1,"a":2}', '{"a":1,"a":1}', '{"ab":1,"a":2}', '{"a\\"":1}', '-0', '1e21', '1.0', '{"a":"\\u0000"}', ' {}', '{"a":1}x', '"\ud800"']) {
      expect([text, isSurelyCanonicalJson(text)]).toEqual([text, false]);
    }
  });
});

const be = (value: number | bigint, bytes: number) => Buffer.from(BigInt(value).toString(16).padStart(bytes * 2, '0'), 'hex');
const str = (s: string) => Buffer.concat([be(Buffer.byteLength(s), 4), Buffer.from(s, 'utf8')]);

const sample: ChainedFields = {
  chainVersion: 1,
  seq: 7n,
  time: new Date('2026-11-24T05:30:00.123Z'),
  actorId: 3,
  actor: 'alice',
  action: 'institution.create',
  objectType: 'institution',
  objectId: '12',
  details: { nameZh: '北京一卡通', code: '00000001' },
  prevHash: new Uint8Array(32).fill(0xee),
};

describe('event encoding (chain version 1)', () => {
  it('is the documented byte string, assembled here independently', () => {
    const expected = Buffer.concat([
      Buffer.from('TQCA-AUDIT', 'ascii'),
      be(1, 2),
      be(7, 8),
      be(Date.UTC(2026, 10, 24, 5, 30, 0, 123), 8),
      be(3, 4),
      str('alice'),
      str('institution.create'),
      str('institution'),
      str('12'),
      str('{"code":"00000001","nameZh":"北京一卡通"}'),
      Buffer.alloc(32, 0xee),
    ]);
    expect(toHex(encodeEvent(sample))).toBe(expected.toString('hex'));
    expect(toHex(eventHash(sample))).toBe(toHex(sm3(expected)));
  });

  it('encodes "system" as actor id 0', () => {
    const bytes = encodeEvent({ ...sample, actorId: null, actor: 'system' });
    expect(toHex(bytes.subarray(28, 32))).toBe('00000000');
  });

  it('binds every field: changing any one changes the hash', () => {
    const base = toHex(eventHash(sample));
    const variants: Partial<ChainedFields>[] = [
      { chainVersion: 2 },
      { seq: 8n },
      { time: new Date(sample.time.getTime() + 1) },
      { actorId: 4 },
      { actor: 'alicf' },
      { action: 'institution.update' },
      { objectType: 'operator' },
      { objectId: '13' },
      { details: { nameZh: '北京一卡通', code: '00000002' } },
      { prevHash: new Uint8Array(32) },
      // moving a byte between adjacent strings is not a collision (length prefixes)
      { actor: 'alic', action: 'einstitution.create' },
    ];
    for (const v of variants) expect(toHex(eventHash({ ...sample, ...v }))).not.toBe(base);
  });
});

function chainOf(count: number): StoredEvent[] {
  const events: StoredEvent[] = [];
  let prevHash = GENESIS_HASH;
  for (let i = 1; i <= count; i++) {
    const fields = { ...sample, seq: BigInt(i), objectId: String(i), details: { i } as CanonicalJson, prevHash };
    const hash = eventHash(fields);
    events.push({ ...fields, hash });
    prevHash = hash;
  }
  return events;
}

describe('verifyChain', () => {
  it('accepts an intact chain and reports its head', () => {
    const events = chainOf(5);
    const r = verifyChain(events, { head: { seq: 5n, hash: events[4].hash } });
    expect(r).toEqual({ ok: true, value: { events: 5, lastSeq: 5n, lastHash: events[4].hash } });
    expect(verifyChain([])).toEqual({ ok: true, value: { events: 0, lastSeq: 0n, lastHash: GENESIS_HASH } });
  });

  it.each([
    ['details', (e: StoredEvent) => ({ ...e, details: { i: 999 } }), 'hash', '3'],
    ['actor', (e: StoredEvent) => ({ ...e, actor: 'mallory' }), 'hash', '3'],
    ['time', (e: StoredEvent) => ({ ...e, time: new Date(0) }), 'hash', '3'],
    ['chain version', (e: StoredEvent) => ({ ...e, chainVersion: 9 }), 'chainVersion', '3'],
    // a rewritten event with a recomputed hash verifies alone; its successor's prevHash exposes it
    ['event with a recomputed hash', (e: StoredEvent) => ({ ...e, details: { i: 999 }, hash: eventHash({ ...e, details: { i: 999 } }) }), 'prevHash', '4'],
  ])('a tampered %s breaks the chain', (_what, tamper, field, seq) => {
    const events = chainOf(5);
    events[2] = tamper(events[2]);
    const r = verifyChain(events);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', field, details: { seq } });
  });

  it('detects a removed, a reordered and a truncated event', () => {
    const events = chainOf(5);
    const removed = verifyChain([...events.slice(0, 2), ...events.slice(3)]);
    expect(!removed.ok && removed.error).toMatchObject({ field: 'seq', details: { seq: '4' } });
    const swapped = verifyChain([events[0], events[2], events[1], events[3]]);
    expect(!swapped.ok && swapped.error).toMatchObject({ field: 'seq', details: { seq: '3' } });
    const truncated = verifyChain(events.slice(0, 4), { head: { seq: 5n, hash: events[4].hash } });
    expect(!truncated.ok && truncated.error).toMatchObject({ code: 'AUDIT_CHAIN_BROKEN', field: 'head' });
  });

  it('continues from an anchor', () => {
    const events = chainOf(6);
    const r = verifyChain(events.slice(3), { from: { seq: 3n, hash: events[2].hash } });
    expect(r.ok && r.value.lastSeq).toBe(6n);
    expect(verifyChain(events.slice(3)).ok).toBe(false);
  });
});
