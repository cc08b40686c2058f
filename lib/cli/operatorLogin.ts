/**
 * Who runs a `tqca` command that changes or reads CA state: TQCA_OPERATOR and TQCA_PASSWORD from
 * the environment, or, when either is missing and the command runs on a terminal, a prompt on
 * stderr with the password unechoed. Without a terminal a missing credential is an error, never
 * a hang. The services then authorise the operator (roles, dual control) as for any caller.
 */
import { signInAtCommandLine, type Operator, type ServiceContext } from '../ca';
import { Code, err, ok, type Result } from '../errors';

export interface Credentials {
  readonly username: string;
  readonly password: string;
}

/** The interactive side of the process, when there is one. */
export interface Prompter {
  /** Asks on the terminal; undefined when the person aborts (Ctrl-C, Ctrl-D). */
  ask(question: string, options: { hidden: boolean }): Promise<string | undefined>;
}

type Env = Readonly<Record<string, string | undefined>>;

/** The process's terminal, or undefined when stdin or stderr is not a TTY (pipes, CI). */
export function terminalPrompter(): Prompter | undefined {
  if (!process.stdin.isTTY || !process.stderr.isTTY) return undefined;
  return { ask: (question, { hidden }) => askOnTerminal(question, hidden) };
}

export async function readCredentials(env: Env = process.env, prompter: Prompter | undefined = terminalPrompter()): Promise<Result<Credentials>> {
  let username = env.TQCA_OPERATOR;
  let password = env.TQCA_PASSWORD;
  if ((!username || !password) && prompter) {
    username ||= await prompter.ask('operator: ', { hidden: false });
    if (username) password ||= await prompter.ask(`password for ${username}: `, { hidden: true });
  }
  if (!username || !password) {
    return err(Code.AUTHENTICATION_REQUIRED, 'set TQCA_OPERATOR and TQCA_PASSWORD, or run on a terminal to be asked', { field: 'operator' });
  }
  return ok({ username: username.trim(), password });
}

/** Reads the credentials and authenticates them against the operators table; a success is audited. */
export async function signIn(ctx: ServiceContext, env: Env = process.env, prompter: Prompter | undefined = terminalPrompter()): Promise<Result<Operator>> {
  const credentials = await readCredentials(env, prompter);
  if (!credentials.ok) return credentials;
  return signInAtCommandLine(ctx, credentials.value.username, credentials.value.password);
}

/** One line from the TTY in raw mode, so that a hidden answer is never echoed. */
function askOnTerminal(question: string, hidden: boolean): Promise<string | undefined> {
  const input = process.stdin;
  // Raw mode before the question: input typed as soon as it appears must not be echoed.
  input.setRawMode(true);
  process.stderr.write(question);
  return new Promise((resolve) => {
    let answer = '';
    const finish = (value: string | undefined) => {
      input.setRawMode(false);
      input.pause();
      input.off('data', onData);
      process.stderr.write('\n');
      resolve(value);
    };
    const onData = (chunk: Buffer) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(answer);
        if (ch === '\u0003' || ch === '\u0004') return finish(undefined);
        if (ch === '\u007f' || ch === '\b') {
          if (answer.length > 0 && !hidden) process.stderr.write('\b \b');
          answer = [...answer].slice(0, -1).join('');
        } else if (ch >= ' ') {
          answer += ch;
          if (!hidden) process.stderr.write(ch);
        }
      }
    };
    input.resume();
    input.on('data', onData);
  });
}
