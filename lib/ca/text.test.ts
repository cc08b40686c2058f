import { describe, expect, it } from 'vitest';
import { singleLineText } from './text';

const check = (value: string) => singleLineText(value, 'nameZh', 'INSTITUTION_INVALID', 10);

describe('singleLineText', () => {
  it('accepts one line of printable text, trimmed, counting characters not UTF-16 units', () => {
    expect(check('  北京公交 A-1 ')).toEqual({ ok: true, value: '北京公交 A-1' });
    expect(check('𠀀'.repeat(10))).toMatchObject({ ok: true });
  });

  it.each([
    ['NUL', 'a\u0000b', 0x0],
    ['tab', 'a\tb', 0x9],
    ['line feed', 'a\nb', 0xa],
    ['ESC', 'a\u001b[2Kb', 0x1b],
    ['DEL', 'a\u007fb', 0x7f],
    ['C1 CSI', 'a\u009bb', 0x9b],
    ['right-to-left override', 'a\u202eb', 0x202e],
    ['first strong isolate', 'a\u2068b', 0x2068],
    ['line separator', 'a\u2028b', 0x2028],
    ['lone high surrogate', 'a\ud800b', 0xd800],
    ['lone low surrogate', 'a\udc00', 0xdc00],
  ])('refuses %s, naming the field and the code point', (_, value, codePoint) => {
    expect(check(value)).toMatchObject({ ok: false, error: { code: 'INSTITUTION_INVALID', field: 'nameZh', details: { codePoint, character: 1 } } });
  });

  it('refuses empty and overlong text', () => {
    expect(check('   ')).toMatchObject({ ok: false, error: { field: 'nameZh', message: 'nameZh is empty' } });
    expect(check('x'.repeat(11))).toMatchObject({ ok: false, error: { details: { max: 10, length: 11 } } });
  });
});
