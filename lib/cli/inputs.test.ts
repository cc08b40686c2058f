import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toHex } from '../bytes';
import { processContext } from './context';
import { bytesInput, fixedBytesInput, inputLimit, MAX_INPUT_BYTES, parseInstant, publicKeyInput } from './inputs';

const example = {
  rootX: 'aca99931db2d2d3213047d83d562216a0c4f780188d1d7b7926570cf59baf50c',
  rootY: '42afb1c9650137bf1eee54ece7f282de0cf3e5b9bec3aad195de6c8b7d6151d8',
};
const dir = mkdtempSync(join(tmpdir(), 'tqca-inputs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const context = processContext(false);
const file = (name: string, content: string | Uint8Array) => {
  const path = join(dir, name);
  writeFileSync(path, content);
  return `@${path}`;
};
const read = async (text: string) => {
  const r = await bytesInput('cert', MAX_INPUT_BYTES.cert)(text, context);
  return r.ok ? toHex(r.value) : r.error;
};

describe('byte input forms', () => {
  it('reads hex on the command line, ignoring whitespace and case', async () => {
    expect(await read('14 12\n27 AB')).toBe('141227ab');
  });

  it('reads a file of hex text as hex and anything else as binary', async () => {
    expect(await read(file('cert.hex', '1412 27ab\n'))).toBe('141227ab');
    expect(await read(file('cert.bin', Uint8Array.of(0x14, 0x12, 0x27, 0xab)))).toBe('141227ab');
    expect(await read(file('bom.hex', '\ufeff1412 27ab\r\n'))).toBe('141227ab');
    // Bytes that happen to be ASCII but not all hex digits are binary.
    expect(await read(file('text.bin', 'xyz'))).toBe('78797a');
  });

  it('refuses bad hex, empty input and unreadable files with typed errors', async () => {
    expect(await read('14g2')).toMatchObject({ code: 'HEX_INVALID', field: 'cert', details: { character: 2 } });
    expect(await read('141')).toMatchObject({ code: 'HEX_INVALID', field: 'cert' });
    expect(await read(file('odd.hex', '141\n'))).toMatchObject({ code: 'HEX_INVALID' });
    expect(await read(' ')).toMatchObject({ code: 'INPUT_EMPTY', field: 'cert' });
    expect(await read(file('empty', ''))).toMatchObject({ code: 'INPUT_EMPTY' });
    expect(await read(`@${join(dir, 'missing')}`)).toMatchObject({ code: 'INPUT_UNREADABLE', details: { errno: 'ENOENT' } });
  });

  it('reads a file only up to its cap: a spaced dump of the largest value fits, one byte more or /dev/zero is INPUT_TOO_LARGE', async () => {
    const limit = inputLimit(MAX_INPUT_BYTES.cert);
    expect(limit).toBe(4 * 106 + 1024);
    const dump = Array.from({ length: 106 }, (_, i) => (i % 256).toString(16).padStart(2, '0')).join('  ');
    expect(await read(file('spaced.hex', `\ufeff${dump}\n`.padEnd(limit - 3, ' ')))).toHaveLength(212);
    expect(await read(file('over.hex', '0'.repeat(limit + 1)))).toMatchObject({ code: 'INPUT_TOO_LARGE', details: { limit } });
    expect(await read('@/dev/zero')).toMatchObject({ code: 'INPUT_TOO_LARGE', details: { path: '/dev/zero', limit } });
  });

  it('checks fixed lengths', async () => {
    expect(await fixedBytesInput('issuer', 4)('00001001', context)).toMatchObject({ ok: true });
    expect(await fixedBytesInput('issuer', 4)('001001', context)).toMatchObject({
      ok: false,
      error: { code: 'INPUT_LENGTH', field: 'issuer', details: { expected: 4, actual: 3 } },
    });
  });
});

describe('publicKeyInput', () => {
  const parse = (text: string) => publicKeyInput('root')(text, context);

  it('parses X‖Y into a key on the curve', async () => {
    const r = await parse(example.rootX + example.rootY);
    expect(r.ok && toHex(r.value.bytes)).toBe(example.rootX + example.rootY);
  });

  it('refuses 04‖X‖Y, X alone and points off the curve', async () => {
    expect(await parse(`04${example.rootX}${example.rootY}`)).toMatchObject({ ok: false, error: { code: 'INPUT_LENGTH' } });
    expect(await parse(example.rootX)).toMatchObject({ ok: false, error: { code: 'INPUT_LENGTH' } });
    const offCurve = example.rootX + example.rootY.slice(0, -1) + '9';
    expect(await parse(offCurve)).toMatchObject({ ok: false, error: { code: 'KEY_NOT_ON_CURVE', field: 'root' } });
  });
});

describe('parseInstant', () => {
  const parse = (text: string) => {
    const r = parseInstant(text, 'at');
    return r.ok ? r.value.toISOString() : r.error.code;
  };

  it.each([
    ['2026-06-01', '2026-06-01T00:00:00.000Z'],
    ['2026-06-01T00:00:00Z', '2026-06-01T00:00:00.000Z'],
    ['2026-06-01T08:00+08:00', '2026-06-01T00:00:00.000Z'],
    ['2027-12-31T23:59:59.999+08:00', '2027-12-31T15:59:59.999Z'],
  ])('%s is %s', (text, iso) => expect(parse(text)).toBe(iso));

  it.each(['2026-06-01T00:00:00', '2026-02-30', '2026-13-01', '2026-06-01T24:00Z', '2026-06-01T00:00:60Z', '2026-06-01T00:00+24:00', 'tomorrow', '1780272000'])(
    '%s is refused',
    (text) => expect(parse(text)).toBe('TIME_INVALID'),
  );
});
