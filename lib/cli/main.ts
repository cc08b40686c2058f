/**
 * `tqca` entry point: argv in, exit code out (0 valid/success, 1 invalid, 2 usage, 3 alarm).
 *
 * stdout carries one JSON object (help text when asked for it; a listing command's table unless
 * `--json`); stderr carries what a person needs on a usage error. Nothing escapes as an uncaught exception: a TqException keeps
 * its code, anything else is reported as INTERNAL.
 */
import { toHex } from '../bytes';
import { TqException, type TqError } from '../errors';
import { parseArguments, splitInvocation, usageError } from './args';
import { errorJson, type JsonObject, type Outcome } from './command';
import { explainedFault } from './faults';
import { processContext } from './context';
import { cliError } from './errorCodes';
import { groups } from './commands';
import { commandHelp, groupHelp, programHelp, usageLine } from './help';

export interface Reply {
  readonly exitCode: 0 | 1 | 2 | 3;
  readonly stdout: string;
  readonly stderr?: string;
}

export async function main(argv: readonly string[]): Promise<number> {
  let reply: Reply;
  try {
    reply = await run(argv);
  } catch (thrown) {
    reply = replyToThrown(thrown);
  }
  // A reader that closes the pipe early (`| head`) has taken what it wanted; that is not a failure.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code !== 'EPIPE') process.exitCode = 1;
  });
  process.stdout.write(reply.stdout);
  if (reply.stderr) process.stderr.write(reply.stderr);
  return reply.exitCode;
}

async function run(argv: readonly string[]): Promise<Reply> {
  const invocation = splitInvocation(argv);
  if (!invocation.ok) return usage(invocation.error, programHelp(groups));
  const { group: groupName, command: commandName, rest, help, json } = invocation.value;

  if (groupName === undefined) return help ? text(programHelp(groups)) : usage(usageError('no command given'), programHelp(groups));
  const group = groups.find((g) => g.name === groupName);
  if (!group) {
    return usage(usageError(`unknown command ${JSON.stringify(groupName)}`, { details: { available: groups.map((g) => g.name) } }), programHelp(groups));
  }

  if (commandName === undefined) return help ? text(groupHelp(group)) : usage(usageError(`tqca ${group.name}: no command given`), groupHelp(group));
  const entry = group.commands.find((c) => c.name === commandName);
  if (!entry) {
    const available = group.commands.map((c) => c.name);
    return usage(usageError(`unknown command "${group.name} ${commandName}"`, { details: { available } }), groupHelp(group));
  }

  const command = (await entry.load()).default;
  if (help) return text(commandHelp(group, entry, command));
  const context = processContext(json);
  const args = await parseArguments(command, rest, context);
  if (!args.ok) return usage(args.error, `usage: ${usageLine(group, entry, command)}\nRun 'tqca ${group.name} ${entry.name} --help' for details.\n`);
  return render(await command.run(args.value, context), json);
}

/** A command's outcome on stdout: its text rendering when it has one and `--json` was not given. */
export function render(outcome: Outcome, json: boolean): Reply {
  const stdout = outcome.text !== undefined && !json ? outcome.text : renderJson(outcome.json);
  return { exitCode: outcome.exitCode, stdout };
}

const text = (stdout: string): Reply => ({ exitCode: 0, stdout });

function usage(error: TqError, guidance: string): Reply {
  return { exitCode: 2, stdout: renderJson({ error: errorJson(error) }), stderr: `tqca: ${error.message}\n${guidance}` };
}

/** Exit 1 for anything thrown: a TqException keeps its code, anything else is INTERNAL. */
export function replyToThrown(thrown: unknown): Reply {
  // A fault a loaded module explains (a database error after the embedded database's holder went away) is that, not a bug.
  const error: TqError =
    thrown instanceof TqException
      ? thrown.error
      : (explainedFault() ?? cliError('INTERNAL', thrown instanceof Error ? thrown.message : String(thrown)).error);
  const trace = thrown instanceof Error && !(thrown instanceof TqException) ? `${thrown.stack ?? thrown.message}\n` : '';
  return { exitCode: 1, stdout: renderJson({ valid: false, error: errorJson(error) }), stderr: `tqca: ${error.code}: ${error.message}\n${trace}` };
}

// JSON.stringify escapes C0 only; DEL, C1 and the bidi controls would reach a terminal raw.
const JSON_UNSAFE = /[\u007f-\u009f\u2028-\u202e\u2066-\u2069]/g;

/** Pretty JSON, one object; bytes as lowercase hex, dates ISO-8601 UTC (Date.toJSON), terminal controls as \uNNNN. */
export function renderJson(value: JsonObject): string {
  const json = JSON.stringify(value, (_key, v: unknown) => (v instanceof Uint8Array ? toHex(v) : v), 2);
  return `${json.replace(JSON_UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}\n`;
}
