/**
 * The software token under AddressSanitizer, UndefinedBehaviorSanitizer and LeakSanitizer
 * (fuzz.mjs, fuzz.c): random templates with NULL values and odd lengths, and seeded mutations of
 * a real store image decoded and used while logged in. Any sanitizer report, a leak at exit, or a
 * bad template answered with anything but CKR_ATTRIBUTE_VALUE_INVALID fails the run.
 * `npm run fuzz:softtoken` runs a longer pass with a fresh seed.
 */
import { describe, expect, it } from 'vitest';
import { fuzzSoftToken } from './fuzz.mjs';

describe('software token under the sanitizers', () => {
  it('survives 3000 random templates and 240 damaged stores without a report or a leak', () => {
    const run = fuzzSoftToken({ rounds: 3000, mutations: 240, seed: 20261201 });
    expect(run.stderr).toBe('');
    expect(run.stdout.trim()).toBe('ok 3000 template rounds, 240 store mutations');
    expect(run.status).toBe(0);
  }, 120_000);
});
