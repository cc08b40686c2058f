#!/usr/bin/env node
// Builds the SM2 software token (a PKCS#11 module in C on OpenSSL 3) into hsm/softtoken/build/.
// Runs from `npm install` (postinstall) and from buildSoftToken(); rebuilds only when a source
// is newer than the library. Exits non-zero with an actionable message when gcc or the OpenSSL
// headers are missing: the product needs this module.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, renameSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const srcDir = join(here, 'src');
const outDir = join(here, 'build');
export const libraryPath = join(outDir, 'libtqsofttoken.so');
const pkcs11Headers = join(root, 'node_modules', 'pkcs11js', 'includes', 'pkcs11');

const CFLAGS = ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O2', '-fPIC', '-fvisibility=hidden', '-pthread'];
const INSTALL_HINT = 'install the C toolchain and OpenSSL 3 headers: apt-get install gcc libssl-dev';

function fail(message) {
  const error = new Error(`software token build failed: ${message}`);
  error.code = 'SOFTTOKEN_BUILD_FAILED';
  throw error;
}

function sources() {
  return readdirSync(srcDir)
    .filter((f) => f.endsWith('.c') || f.endsWith('.h'))
    .map((f) => join(srcDir, f));
}

function upToDate() {
  if (!existsSync(libraryPath)) return false;
  const built = statSync(libraryPath).mtimeMs;
  return [...sources(), fileURLToPath(import.meta.url)].every((f) => statSync(f).mtimeMs <= built);
}

/** Compiles the module unless it is current; returns the library path. Throws with code SOFTTOKEN_BUILD_FAILED. */
export function build({ force = false } = {}) {
  if (!force && upToDate()) return libraryPath;
  const cc = process.env.CC || 'gcc';
  if (spawnSync(cc, ['--version'], { stdio: 'ignore' }).status !== 0) fail(`no C compiler (${cc}); ${INSTALL_HINT}`);
  if (!existsSync('/usr/include/openssl/evp.h') && spawnSync('sh', ['-c', `echo '#include <openssl/evp.h>' | ${cc} -E - >/dev/null`]).status !== 0)
    fail(`OpenSSL headers not found; ${INSTALL_HINT}`);
  if (!existsSync(join(pkcs11Headers, 'pkcs11.h'))) fail(`PKCS#11 headers not found in ${pkcs11Headers}; run npm install first`);
  mkdirSync(outDir, { recursive: true });
  const tmp = `${libraryPath}.${process.pid}.tmp`;
  const args = [...CFLAGS, '-shared', '-I', pkcs11Headers, '-o', tmp, ...sources().filter((f) => f.endsWith('.c')), '-lcrypto'];
  const result = spawnSync(cc, args, { encoding: 'utf8' });
  if (result.status !== 0) {
    const hint = /openssl\/\w+\.h|lcrypto/.test(result.stderr) ? `\n${INSTALL_HINT}` : '';
    fail(`${cc} exited with ${result.status}\n${result.stderr}${hint}`);
  }
  renameSync(tmp, libraryPath); // atomic: a process loading the module never sees a half-written file
  return libraryPath;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  try {
    console.log(`software token: ${build({ force: process.argv.includes('--force') })}`);
  } catch (e) {
    console.error(e.message);
    process.exit(1);
  }
}
