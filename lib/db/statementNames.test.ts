import { describe, expect, it } from 'vitest';
import { statementNames } from './statementNames';

describe('statement names', () => {
  it('names a text at its second sighting, the same name ever after, one name per text', () => {
    const name = statementNames();
    const q = (sql: string) => name({ sql });
    expect(q('SELECT 1')).toBe('');
    const first = q('SELECT 1');
    expect(first).toMatch(/^tqca_/);
    expect(q('SELECT 1')).toBe(first);
    q('SELECT 2');
    const second = q('SELECT 2');
    expect(second).not.toBe(first);
    expect(q('SELECT 1')).toBe(first);
  });

  it('names at most `max` texts; texts sent once use up no name', () => {
    const name = statementNames(2, 3);
    for (let i = 0; i < 10; i++) expect(name({ sql: `SELECT ${i} -- once` })).toBe('');
    const named = ['a', 'b', 'c'].map((t) => (name({ sql: t }), name({ sql: t })));
    expect(named.slice(0, 2).every((n) => n.startsWith('tqca_'))).toBe(true);
    expect(named[2]).toBe('');
    expect(name({ sql: 'a' })).toBe(named[0]);
  });
});
