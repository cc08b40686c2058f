#!/usr/bin/env node
/**
 * The software token under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer:
 * compiles src/*.c with fuzz.c (the harness) into one program in a private directory and runs it
 * against a fresh token directory. fuzz.test.ts runs a short seeded pass inside the suite;
 * `npm run fuzz:softtoken -- [rounds] [mutations] [seed]` runs a longer one.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const pkcs11Headers = join(here, '..', '..', 'node_modules', 'pkcs11js', 'includes', 'pkcs11');
const SANITIZE = ['-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-fno-omit-frame-pointer'];
/** Any report is fatal; leaks are checked at exit. */
const SANITIZER_ENV = {
  ASAN_OPTIONS: 'detect_leaks=1:halt_on_error=1:abort_on_error=0:exitcode=86',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1:exitcode=87',
  LSAN_OPTIONS: 'exitcode=88',
};

/** Builds and runs one pass; returns the process's status, stdout and stderr. */
export function fuzzSoftToken({ rounds = 3000, mutations = 240, seed = 1 } = {}) {
  const sources = join(here, 'src');
  const work = mkdtempSync(join(tmpdir(), 'tqca-fuzz-'));
  try {
    const program = join(work, 'fuzz');
    const cc = process.env.CC || 'gcc';
    const files = readdirSync(sources).filter((f) => f.endsWith('.c')).map((f) => join(sources, f));
    const build = spawnSync(
      cc,
      ['-std=gnu11', '-Wall', '-Wextra', '-Werror', '-O1', '-g', ...SANITIZE, '-pthread', '-I', pkcs11Headers, '-I', sources,
        '-o', program, join(here, 'fuzz.c'), ...files, '-lcrypto'],
      { encoding: 'utf8' },
    );
    if (build.status !== 0) {
      throw new Error(`${cc} could not build the sanitizer harness (needs gcc with libasan and libubsan, see scripts/prerequisites.sh):\n${build.stderr}`);
    }
    const tokenDir = join(work, 'token');
    const run = spawnSync(program, [tokenDir, String(rounds), String(mutations), String(seed)], {
      env: { ...process.env, ...SANITIZER_ENV },
      encoding: 'utf8',
      maxBuffer: 64 * 1024 * 1024,
    });
    return { status: run.status, signal: run.signal, stdout: run.stdout, stderr: run.stderr };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [rounds = 50000, mutations = 5000, seed = Date.now() % 1e9] = process.argv.slice(2).map(Number);
  console.log(`software token fuzz: ${rounds} template rounds, ${mutations} store mutations, seed ${seed}`);
  const result = fuzzSoftToken({ rounds, mutations, seed });
  process.stdout.write(result.stdout);
  process.stderr.write(result.stderr);
  process.exit(result.status === 0 && result.stderr === '' ? 0 : 1);
}
