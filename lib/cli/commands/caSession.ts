/**
 * Plumbing shared by the commands that change or read CA state (`root`, `request`,
 * `cert list|show|revoke`): open the configured CA, authenticate the operator, run one service
 * call, close. The services enforce roles and dual control; the CLI only names who acts.
 */
import { authenticate, type CaServices, type Operator } from '../../ca';
import { openCa, type OpenCaOptions } from '../../runtime/openCa';
import { embeddedHolderGone } from '../../db/client';
import { explainFaultsWith } from '../faults';
import { Code, type Result, type TqError } from '../../errors';
import { readCredentials, terminalPrompter } from '../operatorLogin';
import { withSigningActivated } from '../quorumEntry';
import { terminalSafe } from '../terminalText';
import { invalid, positional, valid, type ArgumentParser, type JsonObject, type Outcome } from '../command';

// A query that fails because the console serving the embedded database stopped is DB_HOLDER_GONE, not INTERNAL.
explainFaultsWith(embeddedHolderGone);

export interface SessionOptions extends OpenCaOptions {
  /** The command signs: under the quorum profile K officers first activate signing, for this process only. */
  readonly signs?: boolean;
}

/**
 * Runs `action` as the authenticated operator against the configured CA. A command that `signs`
 * under the quorum profile first has K officers activate signing at the terminal, for this
 * process only, and locks again when it is done; read-only commands never ask. A `readOnly`
 * command (a list or show) creates nothing on a fresh data directory.
 */
export async function asOperator(action: (ca: CaServices, operator: Operator) => Promise<Outcome>, { signs = false, ...options }: SessionOptions = {}): Promise<Outcome> {
  // Asked (or read from the environment) before the HSM and the database are opened.
  const login = await readCredentials();
  if (!login.ok) return invalid(login.error);
  const opened = await openCa(process.env, options);
  if (!opened.ok) return invalid(opened.error);
  try {
    const { ca, activation } = opened.value;
    const operator = await authenticate(ca, login.value.username, login.value.password);
    if (!operator.ok) return invalid(operator.error);
    if (!signs || !activation) return await action(ca, operator.value);
    const done = await withSigningActivated(ca, activation, operator.value, terminalPrompter(), () => action(ca, operator.value));
    return done.ok ? done.value : invalid(done.error);
  } finally {
    await opened.value.close();
  }
}

/** For a list or show: on a fresh data directory it creates nothing (no token, PINs or database). */
export const READ_ONLY = { readOnly: true } as const;

/** A service answer as a command outcome: the value under `key`, or the typed error. */
export function answer<T extends object>(result: Result<T>, key: string, text: (value: T) => string): Outcome {
  if (!result.ok) return invalid(result.error);
  return { ...valid({ [key]: result.value as unknown as JsonObject }), text: text(result.value) };
}

export function listing<T extends object>(rows: readonly T[], key: string, columns: readonly Column<T>[]): Outcome {
  return { ...valid({ [key]: rows as unknown as JsonObject[] }), text: table(rows, columns) };
}

export type Column<T> = readonly [header: string, cell: (row: T) => string | number | null | undefined];

/** A plain left-aligned text table: one header line, one line per row (cells terminal-safe). */
export function table<T>(rows: readonly T[], columns: readonly Column<T>[]): string {
  const cells = [columns.map(([h]) => h), ...rows.map((r) => columns.map(([, cell]) => terminalSafe(String(cell(r) ?? '-'))))];
  const widths = columns.map((_, i) => Math.max(...cells.map((line) => line[i].length)));
  const lines = cells.map((line) => line.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd());
  return `${lines.join('\n')}\n${rows.length === 0 ? '(none)\n' : ''}`;
}

/** Key: value lines for one object (values terminal-safe). */
export const details = (entries: Readonly<Record<string, unknown>>): string =>
  `${Object.entries(entries)
    .map(([k, v]) => `${k}: ${v === null || v === undefined ? '-' : terminalSafe(typeof v === 'object' ? JSON.stringify(v) : String(v))}`)
    .join('\n')}\n`;

const POSITIVE_INTEGER = /^[1-9][0-9]{0,9}$/;

/** A database id: a positive decimal integer. */
export function idInput(field: string): ArgumentParser<number> {
  return (text) =>
    POSITIVE_INTEGER.test(text) && Number(text) <= 2 ** 31 - 1
      ? { ok: true, value: Number(text) }
      : { ok: false, error: { code: 'ID_INVALID', message: `${field} must be a positive integer`, field } satisfies TqError };
}

export const idPositional = (placeholder: string, description: string) => positional(placeholder, description, idInput(placeholder.replace(/[<>]/g, '')));

/** A root-key index written as its two hex digits (`81`). */
export function rootKeyIndexInput(field: string): ArgumentParser<number> {
  return (text) =>
    /^[0-9a-fA-F]{2}$/.test(text)
      ? { ok: true, value: parseInt(text, 16) }
      : { ok: false, error: { code: Code.ROOT_KEY_INDEX_RANGE, message: 'a root-key index is two hex digits, 01–7F or 80–FE', field } };
}

/** One of a fixed set of words. */
export function choiceInput<T extends string>(field: string, choices: readonly T[]): ArgumentParser<T> {
  return (text) =>
    (choices as readonly string[]).includes(text)
      ? { ok: true, value: text as T }
      : { ok: false, error: { code: 'CHOICE_INVALID', message: `${field} must be one of ${choices.join(', ')}`, field, details: { choices: [...choices] } } };
}
