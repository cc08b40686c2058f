/**
 * The quorum profile at the command line, through the real binary on a pseudo-terminal:
 * `tqca hsm init --officers` shows each share once, `tqca hsm activate` takes K officers' shares
 * (unechoed) and refuses wrong ones, and without a terminal nothing is shown or asked.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { openCa } from '../../runtime/openCa';
import { sealedOperatorSet } from '../../../test/support/operators';
import { unwrap } from '../../errors';
import { projectRoot, runTqca } from '../testSupport';

const PASSWORD = 'correct horse battery';
const dir = mkdtempSync(join(tmpdir(), 'tqca-quorum-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = { TQCA_DATA_DIR: dir, TQCA_HSM_QUORUM: '2/3', TQCA_HSM_POOL_SIZE: '2', DATABASE_URL: '', TQCA_OPERATOR: '', TQCA_PASSWORD: '', TQCA_NEW_PASSWORD: '' };
const tqca = (args: string[], extra: Record<string, string> = {}, stdin?: string) => runTqca(args, { env: { ...env, ...extra }, stdin });

async function onTerminal(args: string[], dialogue: [prompt: string, answer: string][]): Promise<{ output: string; exitCode: number }> {
  const spec = { argv: [process.execPath, 'bin/tqca.cjs', ...args], env, dialogue };
  const { stdout } = await promisify(execFile)('python3', ['test/support/terminal_session.py', JSON.stringify(spec)], { cwd: projectRoot });
  return JSON.parse(stdout);
}

describe('tqca hsm under TQCA_HSM_QUORUM=2/3', () => {
  const shares: Record<string, string> = {};

  it('init without a terminal refuses before creating anything; on one it shows each share once', async () => {
    const piped = await tqca(['hsm', 'init', '--officers', 'alice,bob,carol', '--json']);
    expect([piped.exitCode, piped.json.error.code]).toEqual([1, 'QUORUM_TERMINAL_REQUIRED']);
    expect(existsSync(join(dir, 'hsm-quorum.json'))).toBe(false);
    expect((await tqca(['hsm', 'init', '--officers', 'alice,bob', '--json'])).json.error.code).toBe('QUORUM_TERMINAL_REQUIRED');

    const dialogue = ['alice', 'bob', 'carol'].flatMap((o): [string, string][] => [
      [`${o}, press Enter to see it: `, ''],
      [`${o}, write it down exactly`, ''],
    ]);
    const session = await onTerminal(['hsm', 'init', '--officers', 'alice,bob,carol', '--json'], dialogue);
    expect(session.exitCode).toBe(0);
    for (const [, officer, share] of session.output.matchAll(/ {2}(alice|bob|carol): {2}(tqs1-2-[1-3]-[0-9A-Z-]+)/g)) shares[officer] = share;
    expect(Object.keys(shares).sort()).toEqual(['alice', 'bob', 'carol']);
    for (const share of Object.values(shares)) expect(session.output.split(share)).toHaveLength(2);
    expect(session.output).toContain('"k": 2');
    expect(existsSync(join(dir, 'secrets'))).toBe(false);
  }, 120_000);

  it('status says the token is locked and who holds the shares; read-only commands need no activation', async () => {
    const status = await tqca(['hsm', 'status', '--json']);
    expect(status.exitCode).toBe(0);
    expect(status.json.signing).toMatchObject({ pinSource: 'quorum', evaluationOnly: false, quorum: { state: 'locked', threshold: 2, holders: ['alice', 'bob', 'carol'] } });

    // The operators, made in this process (the `user` commands have their own tests): the CA opens locked, and that is enough.
    const opened = unwrap(await openCa(env));
    await sealedOperatorSet(opened.ca, PASSWORD, [['alice', 'OFFICER'], ['bob', 'OFFICER'], ['carol', 'OFFICER']]);
    await opened.close();
    const as = { TQCA_OPERATOR: 'alice', TQCA_PASSWORD: PASSWORD };
    expect((await tqca(['root', 'list', '--json'], as)).exitCode).toBe(0);
    // A signing command asks for the shares, and so needs a terminal.
    expect((await tqca(['request', 'issue', '9', '--json'], as)).json.error.code).toBe('QUORUM_TERMINAL_REQUIRED');
  }, 300_000);

  it('activate takes two officers’ shares unechoed, names someone else’s, signs the canary and locks again', async () => {
    const session = await onTerminal(['hsm', 'activate'], [
      ['officer (entry 1): ', 'alice'],
      ['password for alice (entry 1): ', PASSWORD],
      ['share of alice (entry 1, not shown): ', shares.alice],
      ['officer (entry 2): ', 'bob'],
      ['password for bob (entry 2): ', PASSWORD],
      ['share of bob (entry 2, not shown): ', shares.carol],
      ['officer (entry 3): ', 'bob'],
      ['password for bob (entry 3): ', PASSWORD],
      ['share of bob (entry 3, not shown): ', shares.bob],
    ]);
    expect(session.output).toContain('HSM_SHARE_NOT_HOLDER: share 3 was issued to carol, not bob');
    expect(session.output).toMatch(/signing activated by alice, bob; canary signed and verified in [0-9.]+ ms; locked again/);
    expect(session.exitCode, session.output).toBe(0);
    for (const secret of [PASSWORD, shares.alice, shares.bob, shares.carol]) expect(session.output).not.toContain(secret);
  }, 300_000);
});
