/**
 * The shape of a `tqca` command and of the groups that hold them.
 *
 * A command declares its options and positional arguments with a parser each, so `run` receives
 * typed values (a public key, an instant, bytes), never raw strings. A group lists its commands
 * with lazy loaders: `tqca cert verify` imports the verify module only, and nothing that a
 * sibling such as `cert list` needs (database, PKCS#11).
 */
import type { Result, TqError } from '../errors';

/** Per-run context: what a parser or a command may read from the process. */
export interface RunContext {
  /** All of stdin up to `limit` bytes (more is INPUT_TOO_LARGE); a second call in one run is an error (stdin can be read once). */
  readonly readStdin: (limit: number) => Promise<Result<Uint8Array>>;
  /** A file up to `limit` bytes (more is INPUT_TOO_LARGE), read as a stream: devices and pipes have no trustworthy size. */
  readonly readFile: (path: string, limit: number) => Promise<Result<Uint8Array>>;
  /** The instant the run started; the default for `--at`. */
  readonly now: Date;
  /** `--json` was given: commands that print text tables print JSON instead. */
  readonly json: boolean;
}

/** Turns one command-line word into a typed value, or a typed error saying what is wrong with it. */
export type ArgumentParser<T> = (text: string, context: RunContext) => Result<T> | Promise<Result<T>>;

export interface Parameter<T> {
  /** Shown in usage lines, e.g. `<X‖Y hex>`. */
  readonly placeholder: string;
  readonly description: string;
  readonly parse: ArgumentParser<T>;
  /** May be left out (only after every required one): then undefined. */
  readonly optional?: true;
}

export interface ValueOption<T, Required extends boolean = boolean> extends Parameter<T> {
  readonly kind: 'value';
  readonly required: Required;
}

/** An option that may be given more than once (`--root A --root B`); its values in command-line order. */
export interface ListOption<T, Required extends boolean = boolean> extends Parameter<T> {
  readonly kind: 'list';
  /** At least once. */
  readonly required: Required;
}

export interface FlagOption {
  readonly kind: 'flag';
  readonly description: string;
}

export type OptionSpec = ValueOption<unknown> | ListOption<unknown> | FlagOption;
export type OptionSpecs = Readonly<Record<string, OptionSpec>>;
export type PositionalSpecs = Readonly<Record<string, Parameter<unknown>>>;

type OptionValue<S> = S extends FlagOption
  ? boolean
  : S extends ListOption<infer T, boolean>
    ? readonly T[]
    : S extends ValueOption<infer T, true>
      ? T
      : S extends ValueOption<infer T, boolean>
        ? T | undefined
        : never;

export interface ParsedArguments<O extends OptionSpecs, P extends PositionalSpecs> {
  readonly options: { readonly [K in keyof O]: OptionValue<O[K]> };
  readonly positionals: { readonly [K in keyof P]: P[K] extends Parameter<infer T> ? (P[K] extends { optional: true } ? T | undefined : T) : never };
}

/** JSON as commands hand it to the renderer; Uint8Array becomes lowercase hex, Date ISO-8601 UTC. */
export type JsonValue = string | number | boolean | null | Uint8Array | Date | readonly JsonValue[] | JsonObject;
export interface JsonObject {
  readonly [key: string]: JsonValue | undefined;
}

/**
 * What a command answers. Exit 0: valid/success; exit 1: invalid, with `"valid": false` and the
 * typed error; exit 3: an alarm a monitor must see (`tqca tms`: the installed bundle is past or near
 * its expiry). Usage errors (exit 2) are the parser's, before `run`, except a combination of
 * arguments only the command can judge (`usage`).
 */
export interface Outcome {
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly json: JsonObject;
  /** Human-readable rendering for table-like commands; printed instead of JSON unless `--json`. */
  readonly text?: string;
}

export const valid = (body: JsonObject): Outcome => ({ exitCode: 0, json: { valid: true, ...body } });

export const invalid = (error: TqError, body: JsonObject = {}): Outcome => ({
  exitCode: 1,
  json: { valid: false, error: errorJson(error), ...body },
});

export function errorJson(error: TqError): JsonObject {
  const { code, message, field, offset, details } = error;
  return { code, message, field, offset, details: details as JsonObject | undefined };
}

export interface Command<O extends OptionSpecs = OptionSpecs, P extends PositionalSpecs = PositionalSpecs> {
  /** Longer help text below the usage line; the one-line summary lives in the group's listing. */
  readonly description: string;
  /** Option `fooBar` is written `--foo-bar`; declaration order is the order in help. */
  readonly options: O;
  /** All required, in declaration order. */
  readonly positionals: P;
  run(args: ParsedArguments<O, P>, context: RunContext): Promise<Outcome>;
}

/** Identity, for inference: `export default defineCommand({...})` types `run`'s arguments. */
export const defineCommand = <O extends OptionSpecs, P extends PositionalSpecs>(command: Command<O, P>): Command<O, P> => command;

export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  readonly load: () => Promise<{ readonly default: Command }>;
}

export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly CommandEntry[];
}

export const value = <T>(placeholder: string, description: string, parse: ArgumentParser<T>): ValueOption<T, false> => ({
  kind: 'value',
  required: false,
  placeholder,
  description,
  parse,
});

export const requiredValue = <T>(placeholder: string, description: string, parse: ArgumentParser<T>): ValueOption<T, true> => ({
  ...value(placeholder, description, parse),
  required: true,
});

export const repeatedValue = <T, Required extends boolean>(
  placeholder: string,
  description: string,
  parse: ArgumentParser<T>,
  required: Required,
): ListOption<T, Required> => ({ kind: 'list', required, placeholder, description, parse });

export const flag = (description: string): FlagOption => ({ kind: 'flag', description });

export const positional = <T>(placeholder: string, description: string, parse: ArgumentParser<T>): Parameter<T> => ({
  placeholder,
  description,
  parse,
});

export const optionalPositional = <T>(placeholder: string, description: string, parse: ArgumentParser<T>): Parameter<T> & { optional: true } => ({
  ...positional(placeholder, description, parse),
  optional: true,
});
