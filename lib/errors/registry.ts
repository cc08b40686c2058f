/**
 * The one error registry: every code any layer reports, declared once (in its layer's table under
 * codes/) with its category and its meaning in English and Chinese. `ErrorCode` is the union of
 * the declared codes, so `err`, `refuse`, `fail`, `cliError` and the HSM helpers reject a code
 * that is misspelt or undeclared at compile time.
 *
 * Adding a code: one line in codes/<layer>.ts (category, en, zh, optionally the field it always
 * names); if lib/codec or lib/ca reports it, the same `en` as a row of that README's code table;
 * then `npx vitest run lib/errors/registry.test.ts -u` records it in the code list snapshot
 * (__snapshots__/codes.txt, reviewed in the diff). A new layer is a new table here in TABLES.
 */
import { API_CODES } from './codes/api';
import { AUDIT_CODES } from './codes/audit';
import { CA_CODES } from './codes/ca';
import { CLI_CODES } from './codes/cli';
import { CLIENT_CODES } from './codes/client';
import { CODEC_CODES } from './codes/codec';
import { CRYPTO_CODES } from './codes/crypto';
import { DB_CODES } from './codes/db';
import { FOUNDATION_CODES } from './codes/foundation';
import { HSM_CODES } from './codes/hsm';
import { LOG_CODES } from './codes/log';
import { SERVER_CODES } from './codes/server';
import type { ErrorSpec } from './spec';

export type { Category, ErrorSpec } from './spec';

const TABLES = {
  foundation: FOUNDATION_CODES,
  crypto: CRYPTO_CODES,
  codec: CODEC_CODES,
  hsm: HSM_CODES,
  db: DB_CODES,
  audit: AUDIT_CODES,
  ca: CA_CODES,
  log: LOG_CODES,
  cli: CLI_CODES,
  api: API_CODES,
  server: SERVER_CODES,
  client: CLIENT_CODES,
} as const;

export type Layer = keyof typeof TABLES;
export type CodeOf<L extends Layer> = L extends Layer ? keyof (typeof TABLES)[L] & string : never;
export type ErrorCode = CodeOf<Layer>;

export interface ErrorDefinition extends ErrorSpec {
  readonly code: ErrorCode;
  readonly layer: Layer;
}

/** Every declaration, layer by layer, in table order (a code declared twice appears twice: registry.test.ts refuses that). */
export const ERROR_DEFINITIONS: readonly ErrorDefinition[] = (Object.entries(TABLES) as [Layer, Readonly<Record<ErrorCode, ErrorSpec>>][]).flatMap(
  ([layer, table]) => (Object.entries(table) as [ErrorCode, ErrorSpec][]).map(([code, spec]) => ({ code, layer, ...spec })),
);

const BY_CODE: ReadonlyMap<string, ErrorDefinition> = new Map(ERROR_DEFINITIONS.map((d) => [d.code, d]));

export const isErrorCode = (code: unknown): code is ErrorCode => typeof code === 'string' && BY_CODE.has(code);

export const errorDefinition = (code: ErrorCode): ErrorDefinition => BY_CODE.get(code)!;

/** Each code as a typed constant (`Code.HSM_KEY_NOT_FOUND`), for code that compares codes of another layer. */
export const Code = Object.fromEntries(ERROR_DEFINITIONS.map((d) => [d.code, d.code])) as { readonly [C in ErrorCode]: C };

/** One layer's codes with their English meaning: the old per-layer tables (and the README code tables) in one call. */
export function meaningsOf<L extends Layer>(layer: L): Readonly<Record<CodeOf<L>, string>> {
  return Object.fromEntries(ERROR_DEFINITIONS.filter((d) => d.layer === layer).map((d) => [d.code, d.en])) as Record<CodeOf<L>, string>;
}
