/**
 * Command-line syntax: `tqca <group> <command> [--name value | --name=value | --flag]… [--] <positional>…`.
 *
 * Two steps. `splitInvocation` finds the group, the command and the global flags (`--help`/`-h`,
 * `--json`, accepted anywhere before `--`). `parseArguments` matches the rest against a command's
 * declaration and runs each parser, so a command receives typed values or never runs.
 * Every failure is a USAGE error (exit 2) naming the option or argument at fault.
 */
import { ok, type Result, type TqError } from '../errors';
import type { Command, OptionSpecs, ParsedArguments, PositionalSpecs, RunContext } from './command';
import { cliError } from './errorCodes';

export interface Invocation {
  readonly group?: string;
  readonly command?: string;
  /** Tokens after the command, global flags removed. */
  readonly rest: readonly string[];
  readonly help: boolean;
  readonly json: boolean;
}

const GLOBAL_FLAGS: Readonly<Record<string, 'help' | 'json'>> = { '--help': 'help', '-h': 'help', '--json': 'json' };

export function usageError(message: string, where: { field?: string; details?: Record<string, unknown> } = {}): TqError {
  return cliError('USAGE', message, where).error;
}

export function splitInvocation(argv: readonly string[]): Result<Invocation> {
  const words: string[] = [];
  const rest: string[] = [];
  let help = false;
  let json = false;
  let endOfOptions = false;
  for (const token of argv) {
    const global = endOfOptions ? undefined : GLOBAL_FLAGS[token];
    if (global === 'help') help = true;
    else if (global === 'json') json = true;
    else if (words.length < 2 && !endOfOptions) {
      if (token.startsWith('-')) {
        return { ok: false, error: usageError(`expected a command before ${token}`, { details: { token } }) };
      }
      words.push(token);
    } else {
      if (token === '--') endOfOptions = true;
      rest.push(token);
    }
  }
  return ok({ group: words[0], command: words[1], rest, help, json });
}

/** `notAfter` → `not-after`: option keys are camelCase in code, kebab-case on the command line. */
export const optionName = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

interface RawArguments {
  /** Every value given for each option, in order (one for a value option, any number for a list option). */
  readonly values: ReadonlyMap<string, readonly string[]>;
  readonly flags: ReadonlySet<string>;
  readonly positionals: readonly string[];
}

/** Syntax only: which words are options, their values and the positionals; no value is interpreted. */
export function tokenize(options: OptionSpecs, tokens: readonly string[]): Result<RawArguments> {
  const byName = new Map(Object.keys(options).map((key) => [optionName(key), key]));
  const values = new Map<string, string[]>();
  const flags = new Set<string>();
  const positionals: string[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (token === '--') {
      positionals.push(...tokens.slice(i + 1));
      break;
    }
    // A lone `-` is the stdin input form, not an option.
    if (!token.startsWith('-') || token === '-') {
      positionals.push(token);
      continue;
    }
    if (!token.startsWith('--')) return fail(`unknown option ${token}`, { details: { token } });
    const eq = token.indexOf('=');
    const name = token.slice(2, eq < 0 ? undefined : eq);
    const key = byName.get(name);
    if (key === undefined) return fail(`unknown option --${name}`, { details: { option: name } });
    const spec = options[key];
    if ((values.has(key) && spec.kind !== 'list') || flags.has(key)) return fail(`--${name} given more than once`, { field: key });
    if (spec.kind === 'flag') {
      if (eq >= 0) return fail(`--${name} is a flag and takes no value`, { field: key });
      flags.add(key);
      continue;
    }
    let text: string;
    if (eq >= 0) text = token.slice(eq + 1);
    else {
      const next = tokens[i + 1];
      // `--root --at …` is a forgotten value, not a root key spelled `--at`; `--name=--x` says otherwise.
      if (next === undefined || next.startsWith('--')) return fail(`--${name} needs a value ${spec.placeholder}`, { field: key });
      text = next;
      i++;
    }
    values.set(key, [...(values.get(key) ?? []), text]);
  }
  return ok({ values, flags, positionals });
}

function fail(message: string, where: { field?: string; details?: Record<string, unknown> }): { ok: false; error: TqError } {
  return { ok: false, error: usageError(message, where) };
}

/** Syntax, then every parser in declaration order (so stdin, read once, goes to the first `-`). */
export async function parseArguments<O extends OptionSpecs, P extends PositionalSpecs>(
  command: Command<O, P>,
  tokens: readonly string[],
  context: RunContext,
): Promise<Result<ParsedArguments<O, P>>> {
  const raw = tokenize(command.options, tokens);
  if (!raw.ok) return raw;
  const { values, flags, positionals } = raw.value;

  const positionalKeys = Object.keys(command.positionals);
  const required = positionalKeys.filter((key) => !command.positionals[key].optional).length;
  if (positionals.length < required) {
    const missing = command.positionals[positionalKeys[positionals.length]];
    return fail(`missing argument ${missing.placeholder}`, { field: positionalKeys[positionals.length] });
  }
  if (positionals.length > positionalKeys.length) {
    return fail(`unexpected argument ${JSON.stringify(positionals[positionalKeys.length])}`, {
      details: { argument: positionals[positionalKeys.length] },
    });
  }

  const options: Record<string, unknown> = {};
  for (const [key, spec] of Object.entries(command.options)) {
    if (spec.kind === 'flag') {
      options[key] = flags.has(key);
      continue;
    }
    const texts = values.get(key) ?? [];
    if (texts.length === 0) {
      if (spec.required) return fail(`missing option --${optionName(key)} ${spec.placeholder}`, { field: key });
      options[key] = spec.kind === 'list' ? [] : undefined;
      continue;
    }
    const parsed: unknown[] = [];
    for (const text of texts) {
      const one = await spec.parse(text, context);
      if (!one.ok) return { ok: false, error: badValue(`--${optionName(key)}`, key, one.error) };
      parsed.push(one.value);
    }
    options[key] = spec.kind === 'list' ? parsed : parsed[0];
  }

  const parsedPositionals: Record<string, unknown> = {};
  for (const [index, key] of positionalKeys.entries()) {
    const spec = command.positionals[key];
    if (index >= positionals.length) break;
    const parsed = await spec.parse(positionals[index], context);
    if (!parsed.ok) return { ok: false, error: badValue(spec.placeholder, key, parsed.error) };
    parsedPositionals[key] = parsed.value;
  }
  return ok({ options, positionals: parsedPositionals } as ParsedArguments<O, P>);
}

/** A value that does not parse is a usage error; the parser's own typed error travels as the cause. */
function badValue(label: string, field: string, cause: TqError): TqError {
  return usageError(`${label}: ${cause.message}`, { field, details: { cause } });
}
