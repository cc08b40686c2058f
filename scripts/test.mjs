#!/usr/bin/env node
// The whole test suite: system prerequisites, type check, then vitest. Prints one plain closing line
// ("tests: N passed, N failed, N skipped") so any CI reader can count the run.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';

const results = '.test-results.json';
// pkcs11js' async calls run on libuv's pool; tests drive 8-session HSM pools.
const env = { UV_THREADPOOL_SIZE: '16', ...process.env };
const run = (cmd, args) => spawnSync(cmd, args, { stdio: 'inherit', env }).status ?? 1;

if (run('bash', ['scripts/prerequisites.sh']) !== 0) process.exit(1);
if (run('npx', ['tsc', '--noEmit']) !== 0) {
  console.error('type check failed');
  process.exit(1);
}
rmSync(results, { force: true });
const status = run('npx', ['vitest', 'run', '--reporter=default', '--reporter=json', `--outputFile=${results}`, ...process.argv.slice(2)]);
let summary;
try {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  summary = { passed: r.numPassedTests, failed: r.numFailedTests, skipped: r.numPendingTests + r.numTodoTests };
} catch {
  console.error('vitest wrote no results');
  process.exit(status || 1);
}
console.log(`\ntests: ${summary.passed} passed, ${summary.failed} failed, ${summary.skipped} skipped`);
process.exit(status !== 0 || summary.failed > 0 || summary.passed === 0 ? 1 : 0);
