/** The documented CA error codes are exactly the declared ones, and the services emit no other code of their own. */
import { readFileSync } from 'node:fs';
import { expect, it } from 'vitest';
import { HsmErrorCode } from '../../hsm/errors';
import { CODEC_ERROR_CODES } from '../codec';
import { CA_ERROR_CODES } from './errorCodes';

const SERVICE_MODULES = [
  'ceremonyChecks',
  'certificates',
  'context',
  'expiry',
  'institutions',
  'issuance',
  'open',
  'operators',
  'recovery',
  'requestChecks',
  'requestLookup',
  'requests',
  'rootKeyRules',
  'rootKeys',
  'secondFactor',
  'signIn',
  'transaction',
];

it('README lists every code with its meaning, and no other', () => {
  const readme = readFileSync(new URL('./README.md', import.meta.url), 'utf8');
  const rows = [...readme.matchAll(/^\| `([A-Z_]+)` \| (.+) \|$/gm)].map(([, code, meaning]) => [code, meaning]);
  expect(Object.fromEntries(rows)).toEqual(CA_ERROR_CODES);
});

it('every code a service emits is declared here or passes through from the codec or the HSM layer', () => {
  const known = new Set([...Object.keys(CA_ERROR_CODES), ...Object.keys(CODEC_ERROR_CODES), ...Object.values(HsmErrorCode)]);
  const emitted = SERVICE_MODULES.flatMap((name) => {
    const source = readFileSync(new URL(`./${name}.ts`, import.meta.url), 'utf8');
    return [...source.matchAll(/(?:refuse|fail|problem|err)\(\s*'([A-Z][A-Z0-9_]+)'|code: '([A-Z][A-Z0-9_]+)'/g)].map((m) => m[1] ?? m[2]);
  });
  expect(emitted.length).toBeGreaterThan(40);
  expect([...new Set(emitted)].filter((code) => !known.has(code))).toEqual([]);
});
