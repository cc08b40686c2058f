/**
 * The build: what the library exports, and what a machine without a compiler is told.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { unwrap } from '../../lib/errors';
import { buildSoftToken, softTokenModulePath } from './index';

const PKCS11_V240_FUNCTIONS = 68;

describe('software token build', () => {
  it('exports exactly the PKCS#11 v2.40 entry points, nothing of its internals', () => {
    const symbols = execFileSync('nm', ['-D', '--defined-only', unwrap(softTokenModulePath())], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .map((l) => l.split(' ').pop()!)
      .filter((name) => !name.startsWith('_'));
    expect(symbols.every((name) => /^C_[A-Za-z]+$/.test(name))).toBe(true);
    expect(symbols).toHaveLength(PKCS11_V240_FUNCTIONS);
    expect(symbols).toContain('C_GetFunctionList');
  });

  it('does not rebuild a current library', () => {
    const path = unwrap(softTokenModulePath());
    const before = statSync(path).mtimeMs;
    expect(unwrap(buildSoftToken())).toBe(path);
    expect(statSync(path).mtimeMs).toBe(before);
  });

  it('without a C compiler the build fails with the command that fixes it', () => {
    const r = spawnSync(process.execPath, [join(dirname(fileURLToPath(import.meta.url)), 'build.mjs'), '--force'], {
      env: { ...process.env, CC: '/nonexistent/gcc' },
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('apt-get install gcc libssl-dev');
  });
});
