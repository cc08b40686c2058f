/**
 * The command-line contract through the real binary: usage errors (exit 2, JSON with code USAGE
 * on stdout, message on stderr), help at every level, the byte input forms (@binary, @hex, -),
 * `npx tqca`, and lazy loading (a command imports only what it needs).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { example } from '../codec/testSupport';
import { TqException } from '../errors';
import { valid } from './command';
import { render, replyToThrown } from './main';
import { projectRoot, runTqca } from './testSupport';

const rootKey = example.root.x + example.root.y;
const cert = example.certificate;
const dir = mkdtempSync(join(tmpdir(), 'tqca-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
};

describe.concurrent('usage errors: exit 2, {"error": {"code": "USAGE"}} on stdout, the message on stderr', () => {
  it.each([
    ['no command', [], 'no command given', undefined, undefined],
    ['unknown group', ['frobnicate'], 'unknown command "frobnicate"', undefined, undefined],
    ['unknown command', ['cert', 'frobnicate'], 'unknown command "cert frobnicate"', undefined, undefined],
    ['group without command', ['cert'], 'tqca cert: no command given', undefined, undefined],
    ['missing --root', ['cert', 'verify', cert], 'missing option --root <X‖Y hex>', 'root', undefined],
    ['missing certificate', ['cert', 'verify', '--root', rootKey], 'missing argument <cert>', 'cert', undefined],
    ['surplus argument', ['cert', 'decode', cert, cert], 'unexpected argument', undefined, undefined],
    ['unknown option', ['cert', 'verify', '--rot', rootKey, cert], 'unknown option --rot', undefined, undefined],
    ['option before the command', ['cert', '--root', rootKey, 'verify', cert], 'expected a command before --root', undefined, undefined],
    ['--root not hex', ['cert', 'verify', '--root', 'x'.repeat(128), cert], '--root: not hexadecimal', 'root', 'HEX_INVALID'],
    ['--root 127 hex digits', ['cert', 'verify', '--root', rootKey.slice(1), cert], '--root: odd number', 'root', 'HEX_INVALID'],
    ['--root X only', ['cert', 'verify', '--root', example.root.x, cert], '--root: expected 64 bytes', 'root', 'INPUT_LENGTH'],
    ['--root off the curve', ['cert', 'verify', '--root', example.root.x + example.issuer.y, cert], '--root: ', 'root', 'KEY_NOT_ON_CURVE'],
    ['--at without a zone', ['cert', 'verify', '--root', rootKey, '--at', '2026-06-01T00:00:00', cert], '--at: not an ISO-8601', 'at', 'TIME_INVALID'],
    ['certificate not hex', ['cert', 'decode', `${cert.slice(0, -1)}g`], '<cert>: not hexadecimal at character 211', 'cert', 'HEX_INVALID'],
    ['certificate file missing', ['cert', 'decode', `@${join(dir, 'missing.bin')}`], 'cannot read', 'cert', 'INPUT_UNREADABLE'],
    ['stdin given twice', ['cert', 'verify', '--root', '-', '-'], '<cert>: stdin (-) can be given only once', 'cert', 'STDIN_REUSED'],
  ])('%s', async (_, args, message, field, cause) => {
    const run = await runTqca(args, { stdin: rootKey });
    expect(run.exitCode).toBe(2);
    expect(run.json.valid).toBeUndefined();
    expect(run.json.error.code).toBe('USAGE');
    expect(run.json.error.message).toContain(message);
    expect(run.json.error.field).toBe(field);
    expect(run.json.error.details?.cause?.code).toBe(cause);
    expect(run.stderr).toContain(`tqca: ${run.json.error.message}`);
  });

  it('names the available commands and shows the usage line on stderr', async () => {
    const unknown = await runTqca(['cert', 'frobnicate']);
    expect(unknown.json.error.details.available).toEqual(expect.arrayContaining(['decode', 'verify']));
    const missing = await runTqca(['cert', 'verify', cert]);
    expect(missing.stderr).toContain('usage: tqca cert verify --root <X‖Y hex> [--at <time>] <cert>');
  });
});

describe.concurrent('--help at every level: exit 0, text on stdout', () => {
  it.each([
    [['--help'], 'Usage: tqca <group> <command>'],
    [['-h'], 'cert '],
    [['cert', '--help'], 'Usage: tqca cert <command>'],
    [['cert', 'verify', '--help'], 'Usage: tqca cert verify --root <X‖Y hex> [--at <time>] <cert>'],
    // --help wins over arguments that would be a usage error.
    [['cert', 'verify', '--at', 'never', '--help'], '--at <time>'],
  ])('tqca %j', async (args, expected) => {
    const run = await runTqca(args);
    expect(run.exitCode).toBe(0);
    expect(run.stdout).toContain(expected);
    expect(run.stdout).toContain('Exit codes: 0 valid/success; 1 invalid');
    expect(run.stderr).toBe('');
  });
});

describe.concurrent('byte input forms', () => {
  const binary = Buffer.from(cert, 'hex');
  const verifyWith = (certArg: string, stdin?: string | Uint8Array, root = rootKey) =>
    runTqca(['cert', 'verify', '--root', root, '--at', '2026-06-01', certArg], { stdin });

  it.each([
    ['@binary file', () => verifyWith(`@${file('cert.bin', binary)}`)],
    ['@hex file with line breaks', () => verifyWith(`@${file('cert.hex', `${cert.slice(0, 100)}\n${cert.slice(100).toUpperCase()}\n`)}`)],
    ['- binary stdin', () => verifyWith('-', binary)],
    ['- hex stdin (echo adds a newline)', () => verifyWith('-', `${cert}\n`)],
    ['hex with spaces, as the profile prints it', () => verifyWith(cert.replace(/(.{8})/g, '$1 '))],
    ['--root from a file', () => verifyWith(cert, undefined, `@${file('root.hex', `${rootKey}\n`)}`)],
    ['--root from stdin', () => verifyWith(cert, rootKey, '-')],
  ])('%s', async (_, run) => {
    const result = await run();
    expect(result.exitCode).toBe(0);
    expect(result.json.valid).toBe(true);
  });

  it('treats a file that is not all hex digits as binary', async () => {
    const run = await runTqca(['cert', 'decode', `@${file('notes.txt', 'certificate: 1412…')}`]);
    expect(run.exitCode).toBe(1);
    expect(run.json.error).toMatchObject({ code: 'LENGTH_INVALID', details: { actual: Buffer.byteLength('certificate: 1412…') } });
  });

  it.each([
    ['@/dev/zero', () => runTqca(['cert', 'decode', '@/dev/zero'])],
    ['an endless-looking stdin', () => runTqca(['cert', 'decode', '-'], { stdin: '0'.repeat(1 << 20) })],
  ])('stops reading %s at the cap: INPUT_TOO_LARGE naming the argument and the cap', async (_, run) => {
    const result = await run();
    expect(result.exitCode).toBe(2);
    expect(result.json.error).toMatchObject({ field: 'cert', details: { cause: { code: 'INPUT_TOO_LARGE', details: { limit: 4 * 106 + 1024 } } } });
  });

  it('refuses an empty input as a usage error', async () => {
    const run = await runTqca(['cert', 'decode', '-'], { stdin: '\n' });
    expect(run.exitCode).toBe(2);
    expect(run.json.error.details.cause.code).toBe('INPUT_EMPTY');
  });
});

describe.concurrent('--json', () => {
  it('is accepted before or after the command and leaves JSON output as it is', async () => {
    const [before, after, plain] = await Promise.all([
      runTqca(['--json', 'cert', 'decode', cert]),
      runTqca(['cert', 'decode', cert, '--json']),
      runTqca(['cert', 'decode', cert]),
    ]);
    expect(before.exitCode).toBe(0);
    expect(before.stdout).toBe(plain.stdout);
    expect(after.stdout).toBe(plain.stdout);
  });
});

describe.concurrent('npx tqca (package.json "bin")', () => {
  it('verifies the example', async () => {
    const run = await runTqca(['cert', 'verify', '--root', rootKey, '--at', '2026-06-01', cert], { via: 'npx' });
    expect(run.exitCode).toBe(0);
    expect(run.json.valid).toBe(true);
  });

  it('reports an invalid certificate with exit 1 and a usage error with exit 2', async () => {
    const invalid = await runTqca(['cert', 'decode', `15${cert.slice(2)}`], { via: 'npx' });
    expect(invalid.exitCode).toBe(1);
    expect(invalid.json.error.code).toBe('CERT_FORMAT');
    const usage = await runTqca(['cert', 'decode'], { via: 'npx' });
    expect(usage.exitCode).toBe(2);
  });
});

describe('lazy loading', () => {
  it('cert verify loads its own module, the codec and SM2, and nothing else', async () => {
    const trace = file('trace.txt', '');
    // A loader hook that appends every module URL Node loads to a file.
    const hook = `data:text/javascript,${encodeURIComponent(`
      import { appendFileSync } from 'node:fs';
      export async function load(url, context, next) { appendFileSync(${JSON.stringify(trace)}, url + '\\n'); return next(url, context); }`)}`;
    const register = file('register.mjs', `import { register } from 'node:module';\nregister(${JSON.stringify(hook)});\n`);
    const run = await runTqca(['cert', 'verify', '--root', rootKey, '--at', '2026-06-01', cert], { nodeArgs: ['--import', register] });
    expect(run.exitCode).toBe(0);

    const loaded = readFileSync(trace, 'utf8').split('\n').filter((url) => url.startsWith('file://'));
    const project = loaded.map((url) => url.slice(`file://${projectRoot}`.length)).filter((path) => !path.startsWith('node_modules/'));
    const packages = new Set(loaded.map((url) => /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)?.[1]).filter(Boolean));
    expect(project).toContain('lib/cli/commands/cert/verify.ts');
    expect(project).toContain('lib/codec/verifyIssuerCertificate.ts');
    // Sibling commands and everything that is not CLI, codec, crypto or the foundation (bytes, the error registry) stay unloaded.
    expect(project.filter((path) => !/^(bin\/|lib\/(cli|codec|crypto|errors)\/|lib\/bytes\.ts$)/.test(path))).toEqual([]);
    // Of the offline groups' modules, only verify's own (group listings are index.ts files).
    expect(project.filter((path) => /^lib\/cli\/commands\/(cert|qr|record)\/(?!index\.ts$)/.test(path))).toEqual([
      'lib/cli/commands/cert/verify.ts',
      'lib/cli/commands/cert/view.ts',
    ]);
    expect([...packages].filter((name) => !['tsx', 'esbuild', '@noble/curves', '@noble/hashes', 'get-tsconfig', 'resolve-pkg-maps'].includes(name!))).toEqual([]);
  });
});

describe('replyToThrown', () => {
  it('keeps the code of a TqException', () => {
    const reply = replyToThrown(new TqException({ code: 'HSM_DEVICE_ERROR', message: 'no token' }));
    expect(reply.exitCode).toBe(1);
    expect(JSON.parse(reply.stdout)).toEqual({ valid: false, error: { code: 'HSM_DEVICE_ERROR', message: 'no token' } });
  });

  it('reports anything else as INTERNAL, with the stack on stderr only', () => {
    const reply = replyToThrown(new TypeError('x is undefined'));
    expect(JSON.parse(reply.stdout)).toEqual({ valid: false, error: { code: 'INTERNAL', message: 'x is undefined' } });
    expect(reply.stderr).toContain('TypeError: x is undefined');
  });
});

describe('render', () => {
  const listing = { ...valid({ count: 2, serial: Uint8Array.of(0, 0, 1), at: new Date(Date.UTC(2026, 5, 1)) }), text: 'SERIAL  AT\n' };

  it('prints a listing command\'s table, or its JSON under --json', () => {
    expect(render(listing, false).stdout).toBe('SERIAL  AT\n');
    expect(JSON.parse(render(listing, true).stdout)).toEqual({ valid: true, count: 2, serial: '000001', at: '2026-06-01T00:00:00.000Z' });
  });

  it('always prints JSON for a command without a table', () => {
    const { text: _, ...jsonOnly } = listing;
    expect(render(jsonOnly, false).stdout).toBe(render(listing, true).stdout);
    expect(render(jsonOnly, false).stdout).toMatch(/^{\n  "valid": true,\n/);
  });
});
