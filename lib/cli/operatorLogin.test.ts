import { describe, expect, it } from 'vitest';
import { readCredentials, type Prompter } from './operatorLogin';

/** A terminal that answers from a script and records what it was asked. */
function scripted(answers: (string | undefined)[]): Prompter & { asked: [string, boolean][] } {
  const asked: [string, boolean][] = [];
  return {
    asked,
    async ask(question, { hidden }) {
      asked.push([question, hidden]);
      return answers.shift();
    },
  };
}

describe('readCredentials', () => {
  it('takes TQCA_OPERATOR and TQCA_PASSWORD without asking', async () => {
    const terminal = scripted([]);
    expect(await readCredentials({ TQCA_OPERATOR: ' alice ', TQCA_PASSWORD: 'pw' }, terminal)).toEqual({ ok: true, value: { username: 'alice', password: 'pw' } });
    expect(terminal.asked).toEqual([]);
  });

  it('asks on a terminal for what the environment lacks, the password unechoed', async () => {
    const onlyUser = scripted(['secret']);
    expect(await readCredentials({ TQCA_OPERATOR: 'alice' }, onlyUser)).toEqual({ ok: true, value: { username: 'alice', password: 'secret' } });
    expect(onlyUser.asked).toEqual([['password for alice: ', true]]);
    const both = scripted(['bob', 'pw2']);
    expect(await readCredentials({}, both)).toEqual({ ok: true, value: { username: 'bob', password: 'pw2' } });
    expect(both.asked).toEqual([['operator: ', false], ['password for bob: ', true]]);
  });

  it('fails with AUTHENTICATION_REQUIRED without a terminal, or when the prompt is aborted', async () => {
    for (const [env, terminal] of [
      [{ TQCA_OPERATOR: 'alice' }, undefined],
      [{}, scripted([undefined])],
      [{ TQCA_PASSWORD: 'pw' }, scripted([''])],
      [{ TQCA_OPERATOR: 'alice' }, scripted([undefined])],
    ] as const) {
      const r = await readCredentials(env, terminal);
      expect(!r.ok && [r.error.code, r.error.field]).toEqual(['AUTHENTICATION_REQUIRED', 'operator']);
    }
  });
});
