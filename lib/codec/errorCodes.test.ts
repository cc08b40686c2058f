/** The documented error codes are exactly the ones the codecs declare. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { CODEC_ERROR_CODES } from './errorCodes';

it('README lists every code with its meaning, and no other', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (.+) \|$/gm)].map(([, code, meaning]) => [code, meaning]);
  expect(Object.fromEntries(rows)).toEqual(CODEC_ERROR_CODES);
});
