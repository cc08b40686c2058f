/**
 * The PGlite directory lock under contention: a round is an owner that takes the lock and is
 * SIGKILLed, then three processes that try to take it at the same instant. Exactly one may win
 * each round (the pid-file lock this replaced gave two holders in most rounds).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { projectRoot } from '../cli/testSupport';

const ROUNDS = 50;
const CONTENDERS = 3;
const scratch = mkdtempSync(join(tmpdir(), 'tqca-lock-'));

// A contender: on {dir, at} it waits for the instant `at`, then tries the lock and reports.
const CONTENDER = `
import { lockDataDir } from './lib/db/dataDirLock.ts';
let lock;
process.on('message', ({ dir, at }) => {
  if (!dir) { lock?.release(); lock = undefined; process.send('released'); return; }
  while (Date.now() < at);
  try { lock = lockDataDir(dir); process.send('held'); } catch (e) { process.send(e.error?.code ?? String(e)); }
});
process.send('ready');`;

// The owner as lockDataDir leaves it: the file locked, holding its pid; then it is killed.
const OWNER = `
const fs = require('node:fs'), { flockSync } = require('fs-ext');
const fd = fs.openSync(process.argv[1], 'w', 0o600);
flockSync(fd, 'exnb');
fs.writeSync(fd, process.pid + '\\n');
process.stdout.write('ready');
setInterval(() => {}, 1000);`;

const contenders: ChildProcess[] = [];
const nextMessage = (child: ChildProcess) => new Promise<string>((resolve) => child.once('message', (m) => resolve(m as string)));

beforeAll(async () => {
  for (let i = 0; i < CONTENDERS; i++) {
    const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', CONTENDER], { cwd: projectRoot, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    contenders.push(child);
  }
  await Promise.all(contenders.map(nextMessage));
}, 60_000);
afterAll(() => {
  for (const child of contenders) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

async function killedOwner(lockPath: string): Promise<void> {
  const owner = spawn(process.execPath, ['-e', OWNER, lockPath], { cwd: projectRoot, stdio: ['ignore', 'pipe', 'inherit'] });
  await new Promise((resolve) => owner.stdout!.once('data', resolve));
  const exited = new Promise((resolve) => owner.once('exit', resolve));
  owner.kill('SIGKILL');
  await exited;
}

describe('the PGlite directory lock', () => {
  it(`has exactly one holder in each of ${ROUNDS} rounds of ${CONTENDERS} processes taking over a SIGKILLed owner's lock`, async () => {
    const holders: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const dir = join(scratch, `db-${round}`);
      await killedOwner(`${dir}.lock`);
      const at = Date.now() + 30;
      const answers = await Promise.all(contenders.map((child) => (child.send({ dir, at }), nextMessage(child))));
      expect(answers.filter((a) => a !== 'held').every((a) => a === 'DB_IN_USE'), answers.join(',')).toBe(true);
      holders.push(answers.filter((a) => a === 'held').length);
      await Promise.all(contenders.map((child) => (child.send({}), nextMessage(child))));
    }
    expect(holders).toEqual(Array(ROUNDS).fill(1));
  }, 120_000);
});
