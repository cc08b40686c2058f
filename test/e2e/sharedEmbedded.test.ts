/**
 * The console and `tqca` side by side on one embedded PGlite database, as separate real
 * processes on the real software token: a process opening the CA as the console server does
 * (servingConsoleChild.ts) holds the database and serves it; the real `tqca` binary joins through
 * the socket for lists and for dual-controlled issuance, and the server sees the result at once.
 * Issuance from both at the same time keeps the numbering gapless and unique, and the
 * publications both make (each under the advisory lock) get consecutive versions. When the
 * holder is SIGKILLed, the next command takes the lock over and finds everything committed.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { softToken, type TokenUnderTest } from '../../hsm/testTokens';
import { runTqca, projectRoot } from '../../lib/cli/testSupport';
import { openDatabase } from '../../lib/db/client';
import { socketPathOf } from '../../lib/db/embeddedSocket';
import { activeRootKey, approvedRequests, buildRequest, PASSWORD, startHarness } from './harness';
import { checkLedger } from './issuanceProcess';
import type { ServingConsoleCommand } from './servingConsoleChild';

const CHILD = fileURLToPath(new URL('./servingConsoleChild.ts', import.meta.url));
const dataDir = mkdtempSync(join(tmpdir(), 'tqca-shared-'));
const dbDir = join(dataDir, 'db');
let token: TokenUnderTest;
let env: Record<string, string>;
let approved: number[];

interface ServingConsole {
  readonly child: ChildProcess;
  send(command: ServingConsoleCommand): Promise<any>;
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function startServingConsole(): Promise<ServingConsole> {
  const child = spawn(process.execPath, ['--import', 'tsx', CHILD], { cwd: projectRoot, env: { ...process.env, ...env }, stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  const nextLine = async () => {
    const { value, done } = await lines.next();
    if (done) throw new Error('the serving console exited');
    return JSON.parse(value as string);
  };
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  expect(await nextLine()).toEqual({ ready: true, embedded: { role: 'holder', serving: true } });
  return {
    child,
    exited,
    send(command) {
      child.stdin!.write(`${JSON.stringify(command)}\n`);
      return nextLine();
    },
  };
}

const as = (operator: string, args: string[]) => runTqca(['--json', ...args], { env: { ...env, TQCA_OPERATOR: operator, TQCA_PASSWORD: PASSWORD } });
async function ok(operator: string, args: string[]) {
  const run = await as(operator, args);
  expect(run.json?.error, `${args.join(' ')}: ${run.stderr}`).toBeUndefined();
  expect(run.exitCode).toBe(0);
  return run.json;
}

beforeAll(async () => {
  token = softToken('softtoken');
  env = { ...token.env, TQCA_DATA_DIR: dataDir, TQCA_TOKEN_LABEL: token.tokenLabel, TQCA_HSM_PIN: token.pin, TQCA_HSM_POOL_SIZE: '2' };
  // Operators, an issuer, an active root key and approved requests, written before anyone serves.
  const h = await startHarness({ dataDir: dbDir, token });
  await activeRootKey(h, 0x01);
  // Three issuers, two requests each: no issuer reaches its cap of active certificates (4).
  approved = await approvedRequests(h, 0x01, 3, 2);
  await h.close();
}, 300_000);
afterAll(() => {
  token?.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the console and tqca on one embedded database', () => {
  let server: ServingConsole;
  afterAll(() => server?.child.kill('SIGKILL'));

  it('lets tqca list and issue under dual control while the console holds the database, and the console sees it at once', async () => {
    server = await startServingConsole();
    expect((await ok('bob', ['root', 'list'])).rootKeys).toMatchObject([{ index: '01', state: 'ACTIVE' }]);
    expect((await ok('bob', ['cert', 'list'])).certificates).toEqual([]);

    const { challenge } = await ok('alice', ['request', 'challenge', '00001001']);
    const { a1 } = buildRequest({ issuerId: 0x00001001, challenge: challenge.challenge, serial: 0x77, expiry: { year: 2028, month: 5 } });
    const { request } = await ok('alice', ['request', 'submit', Buffer.from(a1).toString('hex')]);
    await ok('alice', ['request', 'review', String(request.id), '--fingerprint', request.fingerprint]);
    const refused = await as('alice', ['request', 'approve', String(request.id), '--root-key', '01']);
    expect(refused.json).toMatchObject({ valid: false, error: { code: 'DUAL_CONTROL_SAME_OFFICER' } });
    const issued = await ok('bob', ['request', 'approve', String(request.id), '--root-key', '01']);
    expect(issued.certificate).toMatchObject({ number: '00000001', serial: 0x77 });
    expect(await server.send({ op: 'certificate', requestId: request.id })).toEqual({ certificate: issued.certificate.certificate });
  }, 300_000);

  it('keeps numbering gapless and unique, and bundle versions consecutive, when both issue at once', async () => {
    const [fromServer, ...fromCli] = await Promise.all([
      server.send({ op: 'issue', requestIds: approved.slice(0, 3) }),
      ...approved.slice(3).map((id) => ok('bob', ['request', 'issue', String(id)])),
    ]);
    expect(fromServer.outcomes.map((o: { code?: string }) => o.code)).toEqual([undefined, undefined, undefined]);
    const numbers = [...fromServer.outcomes.map((o: { number: string }) => Number(o.number)), ...fromCli.map((r) => Number.parseInt(r.certificate.number, 16))];
    expect(numbers.sort((a, b) => a - b)).toEqual([2, 3, 4, 5, 6, 7]);

    // The test process joins through the socket too.
    const db = await openDatabase({ dataDir: dbDir });
    try {
      expect(db.embedded).toEqual({ role: 'joined' });
      expect(await checkLedger(db.prisma)).toEqual({ issued: 7, failed: [] });
      const versions = (await db.prisma.publishedBundle.findMany({ select: { version: true }, orderBy: { version: 'asc' } })).map((b) => b.version);
      expect(versions.length).toBeGreaterThan(1);
      expect(versions).toEqual(versions.map((_, i) => i + 1));
    } finally {
      await db.close();
    }
  }, 300_000);

  it('after the holder is SIGKILLed, the next command takes the lock over and finds everything committed', async () => {
    server.child.kill('SIGKILL');
    expect(await server.exited).toMatchObject({ signal: 'SIGKILL' });
    // The dead holder's socket file stays; nobody answers on it.
    expect(existsSync(socketPathOf(dbDir))).toBe(true);
    const listed = await ok('bob', ['cert', 'list']);
    expect(listed.certificates).toHaveLength(7);
    // And a console started again serves once more.
    server = await startServingConsole();
    expect((await ok('alice', ['cert', 'list'])).certificates).toHaveLength(7);
    server.child.kill('SIGTERM');
    expect(await server.exited).toMatchObject({ code: 0 });
    expect(existsSync(socketPathOf(dbDir))).toBe(false);
  }, 300_000);
});
