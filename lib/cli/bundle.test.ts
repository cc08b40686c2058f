/**
 * `tqca bundle …` through the real binary, on the §12 worked example: v1 and v2 verify, the
 * delta 1 → 2 is made and applied to give v2 byte for byte, and what fails is exit 1 with a
 * typed error naming the record and field — with nothing written to --out.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import vector from '../../test/support/vectors/tq-bundle-example.json';
import { toHex } from '../bytes';
import { sm2 } from '../crypto/sm2';
import { runTqca } from './testSupport';

const dir = mkdtempSync(join(tmpdir(), 'tqca-bundle-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, hex: string) => {
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(hex, 'hex'));
  return path;
};
const v1 = file('v1.bin', vector.v1.bundle);
const v2 = file('v2.bin', vector.v2.bundle);
const delta = file('delta.bin', vector.delta_1_2.delta);
const root = ['--root', vector.root_public_key];
const V2_AT = ['--at', '2026-12-02T00:00:00Z'];
const unrelatedRoot = toHex(sm2.publicKeyFromPrivate(sm2.generatePrivateKey()).bytes);

describe('tqca bundle', () => {
  it('decode shows the manifest and the records', async () => {
    const run = await runTqca(['bundle', 'decode', `@${v2}`]);
    expect(run.exitCode).toBe(0);
    expect(run.json.bundle.manifest).toMatchObject({ tag: 'a5', version: 2, a2Count: 1, a3Count: 1, bodyDigest: vector.v2.body_sm3 });
    expect(run.json.bundle.certificates[0]).toMatchObject({ kind: 'certificate', certificateNumber: '00000002', issuerId: '00001002' });
    expect(run.json.bundle.revocationList.entries).toEqual([{ certificateNumber: '00000001', issuerId: '00001001', serial: '000001', reason: 'keyCompromise' }]);
  });

  it('verify accepts v1, and v2 after v1 with a repeated --root; hex, @path and stdin alike', async () => {
    const first = await runTqca(['bundle', 'verify', ...root, '--at', '2026-12-01T00:00:00Z', '--center', '00000001', vector.v1.bundle]);
    expect(first.exitCode).toBe(0);
    expect(first.json).toMatchObject({ valid: true, trustedRoots: [{ rootKeyIndex: '01' }] });
    const second = await runTqca(['bundle', 'verify', '--root', unrelatedRoot, ...root, '--previous', `@${v1}`, ...V2_AT, '-'], { stdin: vector.v2.bundle });
    expect(second.exitCode).toBe(0);
    expect(second.json.bundle.manifest.version).toBe(2);
  });

  it.each([
    ['a rollback', ['--previous', `@${v2}`, ...V2_AT, `@${v1}`], 'BUNDLE_ROLLBACK', 'manifest.version'],
    ['another center', ['--center', '00000002', ...V2_AT, `@${v2}`], 'CENTER_MISMATCH', 'manifest.clearingCenterId'],
    ['a frozen bundle', ['--at', '2026-12-09T00:00:00Z', `@${v2}`], 'BUNDLE_EXPIRED', 'manifest.expires'],
  ])('verify refuses %s with exit 1 and a typed error', async (_name, args, code, field) => {
    const run = await runTqca(['bundle', 'verify', ...root, ...args]);
    expect(run.exitCode).toBe(1);
    expect(run.json).toMatchObject({ valid: false, error: { code, field } });
  });

  it('verify refuses an untrusted root, and needs at least one --root (usage, exit 2)', async () => {
    const untrusted = await runTqca(['bundle', 'verify', '--root', unrelatedRoot, ...V2_AT, `@${v2}`]);
    expect(untrusted.json).toMatchObject({ valid: false, error: { code: 'ROOT_UNTRUSTED', field: 'manifest.rootKeyIndex', offset: 1 } });
    const usage = await runTqca(['bundle', 'verify', `@${v2}`]);
    expect(usage.exitCode).toBe(2);
    expect(usage.json.error).toMatchObject({ code: 'USAGE', field: 'root' });
  });

  it('delta --from v1 v2 is the vector’s delta', async () => {
    const run = await runTqca(['bundle', 'delta', '--from', `@${v1}`, `@${v2}`]);
    expect(run.exitCode).toBe(0);
    expect(run.json.delta).toBe(vector.delta_1_2.delta);
  });

  it('apply writes v2 byte for byte, and only a bundle that verified', async () => {
    const out = join(dir, 'applied.bin');
    const run = await runTqca(['bundle', 'apply', ...root, '--previous', `@${v1}`, ...V2_AT, '--out', out, `@${delta}`]);
    expect(run.exitCode).toBe(0);
    expect(run.json).toMatchObject({ valid: true, out, version: 2 });
    expect(toHex(readFileSync(out))).toBe(vector.v2.bundle);

    const tampered = Buffer.from(vector.delta_1_2.delta, 'hex');
    tampered[tampered.length - 1] ^= 1; // the A4's last byte: the rebuilt body no longer hashes to the manifest's SM3
    const refused = join(dir, 'refused.bin');
    const bad = await runTqca(['bundle', 'apply', ...root, '--previous', `@${v1}`, ...V2_AT, '--out', refused, tampered.toString('hex')]);
    expect(bad.exitCode).toBe(1);
    expect(bad.json.error).toMatchObject({ code: 'BODY_DIGEST_MISMATCH', field: 'manifest.bodyDigest' });
    const frozen = await runTqca(['bundle', 'apply', ...root, '--previous', `@${v1}`, '--at', '2026-12-09T00:00:00Z', '--out', out, `@${delta}`]);
    expect(frozen.json.error).toMatchObject({ code: 'BUNDLE_EXPIRED' });
    expect(existsSync(refused)).toBe(false);
    expect(toHex(readFileSync(out))).toBe(vector.v2.bundle);

    const nowhere = await runTqca(['bundle', 'apply', ...root, '--previous', `@${v1}`, ...V2_AT, '--out', join(dir, 'missing', 'x.bin'), `@${delta}`]);
    expect(nowhere.exitCode).toBe(1);
    expect(nowhere.json.error).toMatchObject({ code: 'OUTPUT_UNWRITABLE', field: 'out' });
  });
});
