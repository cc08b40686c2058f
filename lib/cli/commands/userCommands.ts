/** `tqca user …`: each command is one call of lib/ca/operators. */
import { bootstrapAdministrator, createOperator, listOperators, OperatorRole, setOperatorStatus, USERNAME_PATTERN, type OperatorView } from '../../ca';
import { Code, err, ok, type Result } from '../../errors';
import { defineCommand, flag, invalid, positional, requiredValue, value, type ArgumentParser, type RunContext } from '../command';
import { terminalPrompter } from '../operatorLogin';
import { answer, details, listing, READ_ONLY } from './caSession';
import { asDatabaseOperator, onDatabase } from './databaseSession';

const ROLES = Object.values(OperatorRole);

const rolesInput: ArgumentParser<OperatorRole[]> = (text) => {
  const roles = text.split(',').map((r) => r.trim().toUpperCase());
  const unknown = roles.filter((r) => !(ROLES as string[]).includes(r));
  return unknown.length === 0 && roles.length > 0
    ? ok(roles as OperatorRole[])
    : err('ROLE_INVALID', `roles are a comma-separated list of ${ROLES.join(', ')}`, { field: 'roles', details: { unknown } });
};

const usernameInput: ArgumentParser<string> = (text) =>
  USERNAME_PATTERN.test(text) ? ok(text) : err(Code.OPERATOR_INVALID, `a username matches ${USERNAME_PATTERN}`, { field: 'username' });

const userText = (o: OperatorView) => details({ id: o.id, username: o.username, displayName: o.displayName, roles: o.roles.join(','), status: o.status, createdAt: o.createdAt.toISOString() });

/** The most --password-stdin reads: a password line is far shorter. */
export const PASSWORD_STDIN_LIMIT = 4096;

/** The new operator's password: the first line of stdin, TQCA_NEW_PASSWORD, or asked twice on a terminal. */
async function newPassword(fromStdin: boolean, context: RunContext): Promise<Result<string>> {
  if (fromStdin) {
    const input = await context.readStdin(PASSWORD_STDIN_LIMIT);
    return input.ok ? ok(new TextDecoder().decode(input.value).split(/\r?\n/)[0]) : input;
  }
  if (process.env.TQCA_NEW_PASSWORD) return ok(process.env.TQCA_NEW_PASSWORD);
  const prompter = terminalPrompter();
  if (!prompter) return err('PASSWORD_REQUIRED', 'give the new password with --password-stdin or TQCA_NEW_PASSWORD, or run on a terminal', { field: 'password' });
  const first = await prompter.ask('new password: ', { hidden: true });
  const second = first && (await prompter.ask('repeat it: ', { hidden: true }));
  if (!first || first !== second) return err('PASSWORD_MISMATCH', 'the two passwords differ (or input was aborted)', { field: 'password' });
  return ok(first);
}

export const create = defineCommand({
  description: `Creates an operator. An administrator (TQCA_OPERATOR/TQCA_PASSWORD, or asked on a
terminal) creates operators with any roles. --bootstrap creates the first administrator of an
empty console without signing in; it is refused once any operator exists. The new password comes
from --password-stdin, TQCA_NEW_PASSWORD, or a prompt; at least 12 characters.`,
  options: {
    name: requiredValue('<display name>', 'the name shown in the console and audit views', (text) => ok(text)),
    roles: value('<roles>', `comma-separated: ${ROLES.join(', ')} (with --bootstrap ADMIN is implied)`, rolesInput),
    bootstrap: flag('create the first administrator of an empty console (no sign-in)'),
    passwordStdin: flag('read the new password from the first line of stdin'),
  },
  positionals: { username: positional('<username>', `lowercase, ${USERNAME_PATTERN}`, usernameInput) },
  async run({ options, positionals }, context) {
    const password = await newPassword(options.passwordStdin, context);
    if (!password.ok) return invalid(password.error);
    const input = { username: positionals.username, displayName: options.name, password: password.value, roles: options.roles ?? [] };
    if (options.bootstrap) return onDatabase(async (ctx) => answer(await bootstrapAdministrator(ctx, input), 'operator', userText));
    if (input.roles.length === 0) return invalid({ code: 'ROLE_INVALID', message: 'give --roles', field: 'roles' });
    return asDatabaseOperator(async (ctx, operator) => answer(await createOperator(ctx, operator, input), 'operator', userText));
  },
});

export const list = defineCommand({
  description: 'Lists operators (administrators and auditors only). Password hashes are never shown.',
  options: {},
  positionals: {},
  run: () =>
    asDatabaseOperator(async (ctx, operator) => {
      const rows = await listOperators(ctx, operator);
      if (!rows.ok) return invalid(rows.error);
      return listing(rows.value, 'operators', [
        ['id', (o) => o.id],
        ['username', (o) => o.username],
        ['name', (o) => o.displayName],
        ['roles', (o) => o.roles.join(',')],
        ['status', (o) => o.status],
      ]);
    }, READ_ONLY),
});

const statusCommand = (status: 'DISABLED' | 'ACTIVE', description: string) =>
  defineCommand({
    description,
    options: {},
    positionals: { username: positional('<username>', 'the operator', usernameInput) },
    run: ({ positionals }) => asDatabaseOperator(async (ctx, operator) => answer(await setOperatorStatus(ctx, operator, positionals.username, status), 'operator', userText)),
  });

export const disable = statusCommand('DISABLED', 'Disables an operator (administrators only). The last active administrator cannot be disabled.');
export const enable = statusCommand('ACTIVE', 'Enables a disabled operator (administrators only).');
