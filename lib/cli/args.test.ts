import { describe, expect, it } from 'vitest';
import { err, ok } from '../errors';
import { optionName, parseArguments, splitInvocation, tokenize } from './args';
import { defineCommand, flag, invalid, positional, repeatedValue, requiredValue, value } from './command';
import { processContext } from './context';
import { instantInput } from './inputs';

const word = positional('<word>', 'any word', (text) => ok(text));
const command = defineCommand({
  description: 'test command',
  options: {
    root: requiredValue('<hex>', 'required value', (text) => ok(text)),
    notAfter: value('<time>', 'optional instant', instantInput('notAfter')),
    dryRun: flag('a flag'),
  },
  positionals: { first: word, second: word },
  run: async () => invalid({ code: 'INTERNAL', message: 'not run in these tests' }),
});

const parse = (tokens: string[]) => parseArguments(command, tokens, processContext(false));

describe('splitInvocation', () => {
  it('finds group, command and global flags anywhere before --', () => {
    expect(splitInvocation(['--json', 'cert', 'verify', '--at', 'x', '-h', 'c'])).toEqual(
      ok({ group: 'cert', command: 'verify', rest: ['--at', 'x', 'c'], help: true, json: true }),
    );
  });

  it('leaves global flags after -- to the command', () => {
    expect(splitInvocation(['qr', 'decode', '--', '--help'])).toEqual(
      ok({ group: 'qr', command: 'decode', rest: ['--', '--help'], help: false, json: false }),
    );
  });

  it('refuses an option before the command', () => {
    const r = splitInvocation(['cert', '--root', 'x', 'verify']);
    expect(r.ok || r.error).toMatchObject({ code: 'USAGE', details: { token: '--root' } });
  });

  it('allows a bare program or group', () => {
    expect(splitInvocation([])).toEqual(ok({ group: undefined, command: undefined, rest: [], help: false, json: false }));
    expect(splitInvocation(['cert', '--help'])).toMatchObject(ok({ group: 'cert', command: undefined, help: true }));
  });
});

describe('tokenize', () => {
  it('accepts --name value, --name=value, flags, - and positionals after --', () => {
    const r = tokenize(command.options, ['--root=ab', '-', '--not-after', '2026-06-01', '--dry-run', '--', '--x']);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect([...r.value.values]).toEqual([
      ['root', ['ab']],
      ['notAfter', ['2026-06-01']],
    ]);
    expect([...r.value.flags]).toEqual(['dryRun']);
    expect(r.value.positionals).toEqual(['-', '--x']);
  });

  it.each([
    [['--nope', 'x'], 'unknown option --nope', undefined],
    [['-x'], 'unknown option -x', undefined],
    [['--root', 'a', '--root', 'b'], '--root given more than once', 'root'],
    [['--dry-run=yes'], '--dry-run is a flag and takes no value', 'dryRun'],
    [['--root'], '--root needs a value <hex>', 'root'],
    [['--root', '--dry-run'], '--root needs a value <hex>', 'root'],
  ])('%j is a usage error', (tokens, message, field) => {
    const r = tokenize(command.options, tokens);
    expect(r.ok || r.error).toMatchObject({ code: 'USAGE', message, ...(field && { field }) });
  });

  it('keeps a value that only looks like an option when written --name=value', () => {
    const r = tokenize(command.options, ['--root=--dry-run']);
    expect(r.ok && r.value.values.get('root')).toEqual(['--dry-run']);
  });
});

describe('parseArguments', () => {
  it('hands typed values to the command', async () => {
    const r = await parse(['a', '--not-after', '2026-06-01T08:00:00+08:00', 'b', '--root', 'ff']);
    expect(r).toEqual(
      ok({ options: { root: 'ff', notAfter: new Date('2026-06-01T00:00:00Z'), dryRun: false }, positionals: { first: 'a', second: 'b' } }),
    );
  });

  it('reports missing and surplus words by name', async () => {
    expect(await parse(['a', 'b'])).toMatchObject({ ok: false, error: { code: 'USAGE', field: 'root', message: 'missing option --root <hex>' } });
    expect(await parse(['--root', 'x', 'a'])).toMatchObject({ ok: false, error: { field: 'second', message: 'missing argument <word>' } });
    expect(await parse(['--root', 'x', 'a', 'b', 'c'])).toMatchObject({ ok: false, error: { code: 'USAGE', details: { argument: 'c' } } });
  });

  it("wraps a parser's typed error as the cause of a usage error", async () => {
    const r = await parse(['--root', 'x', '--not-after', '2026-02-30', 'a', 'b']);
    expect(r).toMatchObject({
      ok: false,
      error: { code: 'USAGE', field: 'notAfter', details: { cause: { code: 'TIME_INVALID', field: 'notAfter' } } },
    });
  });
});

describe('optionName', () => {
  it('writes camelCase keys in kebab-case', () => {
    expect(optionName('notAfter')).toBe('not-after');
    expect(optionName('at')).toBe('at');
  });
});

describe('repeated options', () => {
  const listCommand = (required: boolean) =>
    defineCommand({
      description: 'test command',
      options: { key: repeatedValue('<hex>', 'repeatable', (text) => (text === 'bad' ? err('HEX_INVALID', 'bad') : ok(text)), required) },
      positionals: {},
      run: async () => invalid({ code: 'INTERNAL', message: 'not run in these tests' }),
    });
  const parseList = (required: boolean, tokens: string[]) => parseArguments(listCommand(required), tokens, processContext(false));

  it('collects every value in order, and none as an empty list', async () => {
    expect(await parseList(true, ['--key', 'a', '--key=b'])).toEqual(ok({ options: { key: ['a', 'b'] }, positionals: {} }));
    expect(await parseList(false, [])).toEqual(ok({ options: { key: [] }, positionals: {} }));
  });

  it('requires one when required, and names the value that does not parse', async () => {
    const missing = await parseList(true, []);
    expect(missing.ok || missing.error).toMatchObject({ code: 'USAGE', field: 'key' });
    const bad = await parseList(true, ['--key', 'a', '--key', 'bad']);
    expect(bad.ok || bad.error).toMatchObject({ code: 'USAGE', field: 'key', details: { cause: { code: 'HEX_INVALID' } } });
  });
});
