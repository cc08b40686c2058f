import { describe, expect, it } from 'vitest';
import { rateLimitFrom } from './rateLimit';

describe('rateLimitFrom', () => {
  it('takes the defaults when unset or empty, and positive numbers as given', () => {
    expect(rateLimitFrom({})).toEqual({ rate: 10, burst: 60 });
    expect(rateLimitFrom({ TQCA_API_RATE: '', TQCA_API_BURST: '' })).toEqual({ rate: 10, burst: 60 });
    expect(rateLimitFrom({ TQCA_API_RATE: '2.5', TQCA_API_BURST: '30' })).toEqual({ rate: 2.5, burst: 30 });
  });

  it.each([
    ['TQCA_API_RATE', 'ten'],
    ['TQCA_API_RATE', '0'],
    ['TQCA_API_RATE', '-5'],
    ['TQCA_API_RATE', '1e3'],
    ['TQCA_API_BURST', '60 '],
    ['TQCA_API_BURST', 'Infinity'],
    ['TQCA_API_BURST', '0x10'],
  ])('refuses %s=%j with API_CONFIG_INVALID naming the variable', (name, text) => {
    expect(() => rateLimitFrom({ [name]: text })).toThrow(expect.objectContaining({ error: expect.objectContaining({ code: 'API_CONFIG_INVALID', field: name }) }));
  });
});
