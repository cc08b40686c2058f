/**
 * PKCS#11 buffer and status rules that pkcs11js cannot show (it sizes buffers itself and throws on
 * the first error): conformance.c, compiled here with the system compiler, loads the module with
 * dlopen and reports one line per check. Each check is a test.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { MODULE, tokenDir } from './testSupport';

const here = dirname(fileURLToPath(import.meta.url));
// A private directory: another run in the same checkout may be executing its own probe.
const probeDir = mkdtempSync(join(tmpdir(), 'tqca-conformance-'));
const probe = join(probeDir, 'conformance');
execFileSync('gcc', [
  '-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2',
  '-I', join(here, '..', '..', 'node_modules', 'pkcs11js', 'includes', 'pkcs11'),
  '-pthread', '-o', probe, join(here, 'conformance.c'), '-ldl',
]);
const t = tokenDir('sansec');
const run = spawnSync(probe, [MODULE], { env: { ...process.env, ...t.env }, encoding: 'utf8' });
const lines = run.stdout.trim().split('\n').filter(Boolean);

afterAll(() => {
  t.dispose();
  rmSync(probeDir, { recursive: true, force: true });
});

describe('PKCS#11 conformance probe', () => {
  it('ran every check', () => {
    expect(run.stderr).toBe('');
    expect(lines).toHaveLength(23);
  });
  it.each(lines.map((l) => [l.replace(/^(ok|FAIL) /, ''), l]))('%s', (_, line) => {
    expect(line.startsWith('ok ')).toBe(true);
  });
});
