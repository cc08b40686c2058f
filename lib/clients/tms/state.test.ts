/**
 * The TMS state directory on a real file system: created owner-only, refused when open to others,
 * an installation read back as written, and a bundle file changed behind the client's back (or a
 * state file that is not ours) refused instead of silently starting over.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseHex } from '../../bytes';
import { decodeBundle } from '../../codec';
import { sm2 } from '../../crypto/sm2';
import { unwrap } from '../../errors';
import { lockStateDir, openStateDir, readInstalled, writeInstalled, type Installed } from './state';

const vectors = JSON.parse(readFileSync(join(__dirname, '../../../test/support/vectors/tq-bundle-example.json'), 'utf8')) as { root_public_key: string; v1: { bundle: string }; v2: { bundle: string } };
const root = unwrap(sm2.publicKeyFromBytes(unwrap(parseHex(vectors.root_public_key))));
const installation = (hex: string): Installed => ({
  bundle: unwrap(decodeBundle(unwrap(parseHex(hex)))),
  etag: '"1-abc"',
  trustedRoots: [{ rootKeyIndex: 1, publicKey: root }],
  installedAt: new Date('2026-12-01T00:00:00Z'),
  acknowledged: false,
});
const base = mkdtempSync(join(tmpdir(), 'tqca-tms-state-'));
afterAll(() => rmSync(base, { recursive: true, force: true }));
const code = (r: { ok: boolean; error?: { code: string } }) => (r.ok ? 'ok' : r.error!.code);

describe('the TMS state directory', () => {
  it('is created owner-only and refused once others may read it', async () => {
    const dir = join(base, 'fresh');
    expect(code(await openStateDir(dir))).toBe('ok');
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(unwrap(await readInstalled(dir))).toBeNull();
    chmodSync(dir, 0o750);
    expect(code(await openStateDir(dir))).toBe('CLIENT_STATE_INVALID');
  });

  it('reads back what was installed, keeps one bundle file, and refuses a bundle file changed behind its back', async () => {
    const dir = join(base, 'installed');
    unwrap(await openStateDir(dir));
    unwrap(await writeInstalled(dir, installation(vectors.v1.bundle)));
    unwrap(await writeInstalled(dir, { ...installation(vectors.v2.bundle), acknowledged: true }));
    expect(readdirSync(dir).sort()).toEqual(['bundle-2.bin', 'state.json']);
    expect(statSync(join(dir, 'bundle-2.bin')).mode & 0o777).toBe(0o600);
    const read = unwrap(await readInstalled(dir))!;
    expect([read.bundle.manifest.version, read.etag, read.acknowledged, read.trustedRoots.map((r) => r.rootKeyIndex)]).toEqual([2, '"1-abc"', true, [1]]);

    const bytes = readFileSync(join(dir, 'bundle-2.bin'));
    bytes[bytes.length - 1]! ^= 1;
    writeFileSync(join(dir, 'bundle-2.bin'), bytes);
    expect(code(await readInstalled(dir))).toBe('CLIENT_STATE_INVALID');
    writeFileSync(join(dir, 'state.json'), '{"format": 9}');
    expect(code(await readInstalled(dir))).toBe('CLIENT_STATE_INVALID');
  });

  it('lets one pull at a time hold it, and takes over the lock of a process that died', async () => {
    const dir = join(base, 'locked');
    unwrap(await openStateDir(dir));
    const first = unwrap(await lockStateDir(dir));
    const second = await lockStateDir(dir);
    expect(code(second)).toBe('CLIENT_STATE_LOCKED');
    expect(second.ok ? null : second.error.details).toMatchObject({ pid: process.pid });
    await first.release();
    await unwrap(await lockStateDir(dir)).release();

    // A holder killed mid-pull: its process id no longer runs.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(dir, 'pull.lock'), `${dead}\n`);
    const taken = unwrap(await lockStateDir(dir));
    expect(readFileSync(join(dir, 'pull.lock'), 'utf8')).toBe(`${process.pid}\n`);
    await taken.release();
    expect(readdirSync(dir)).not.toContain('pull.lock');
  });
});
