/**
 * Every decode/verify command, run in-process on mutated and random bytes, answers exit 0 or 1
 * with a renderable JSON object and a typed error that is never INTERNAL: the views never throw
 * on anything a decoder accepts, and nothing a decoder refuses escapes as an exception.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { rootKeyRecord } from '../codec';
import { example, hex, rootKeys } from '../codec/testSupport';
import type { Command, Outcome } from './command';
import { processContext } from './context';
import { renderJson } from './main';

const certificate = hex(example.certificate);
const qr = hex(example.qr);
const a2 = rootKeyRecord.encode({ clearingCenterId: 1, rootKeyIndex: 1, publicKey: rootKeys.publicKey, expiry: { year: 2030, month: 12, day: 31 } });
const context = processContext(false);

/** A valid structure with 1–4 bytes overwritten, truncated or extended, or plain random bytes. */
const mutated = (base: Uint8Array) =>
  fc.oneof(
    fc.array(fc.tuple(fc.nat(base.length - 1), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 4 }).map((edits) => {
      const copy = base.slice();
      for (const [at, value] of edits) copy[at] = value;
      return copy;
    }),
    fc.nat(base.length + 8).map((length) => Uint8Array.from({ length }, (_, i) => base[i % base.length])),
    fc.uint8Array({ minLength: 1, maxLength: base.length + 8 }),
  );

function checkOutcome(outcome: Outcome) {
  expect([0, 1]).toContain(outcome.exitCode);
  const json = JSON.parse(renderJson(outcome.json));
  expect(json.valid).toBe(outcome.exitCode === 0);
  if (outcome.exitCode === 1) {
    expect(json.error.code).toMatch(/^[A-Z][A-Z0-9_]+$/);
    expect(json.error.code).not.toBe('INTERNAL');
  }
}

const load = async (path: string): Promise<Command> => ((await import(path)) as { default: Command }).default;
const at = new Date('2026-06-01T00:00:00Z');
const runs = 300;

describe('decode and verify commands on mutated input', () => {
  it('cert decode and cert verify', async () => {
    const [decode, verify] = await Promise.all([load('./commands/cert/decode'), load('./commands/cert/verify')]);
    await fc.assert(
      fc.asyncProperty(mutated(certificate), async (cert) => {
        checkOutcome(await decode.run({ options: {}, positionals: { cert } }, context));
        checkOutcome(await verify.run({ options: { root: rootKeys.publicKey, at }, positionals: { cert } }, context));
      }),
      { numRuns: runs },
    );
  });

  it('qr decode and qr verify (code and certificate mutated)', async () => {
    const [decode, verify] = await Promise.all([load('./commands/qr/decode'), load('./commands/qr/verify')]);
    await fc.assert(
      fc.asyncProperty(mutated(qr), mutated(certificate), fc.boolean(), async (code, cert, keepCertificate) => {
        checkOutcome(await decode.run({ options: {}, positionals: { qr: code } }, context));
        const options = { root: rootKeys.publicKey, cert: keepCertificate ? certificate : cert, issuer: 0x1001, number: 1, at };
        checkOutcome(await verify.run({ options, positionals: { qr: code } }, context));
      }),
      { numRuns: runs },
    );
  });

  it('record decode, whatever the tag', async () => {
    const decode = await load('./commands/record/decode');
    const tagged = fc.tuple(fc.constantFrom(0xa1, 0xa2, 0xa3, 0xa4), mutated(a2)).map(([tag, bytes]) => Uint8Array.of(tag, ...bytes.subarray(1)));
    await fc.assert(
      fc.asyncProperty(fc.oneof(mutated(a2), tagged), async (record) => {
        checkOutcome(await decode.run({ options: {}, positionals: { record } }, context));
      }),
      { numRuns: runs },
    );
  });
});
