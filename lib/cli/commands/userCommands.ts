/** `tqca user …`: each command is one call of lib/ca/operators or lib/ca/operatorChanges. */
import {
  approveOperatorChange,
  bootstrapAdministrator,
  changeOperator,
  changePassword,
  disableOperator,
  listOperatorChanges,
  listOperators,
  OperatorRole,
  rejectOperatorChange,
  USERNAME_PATTERN,
  type ChangeOutcome,
  type ChangeRequestView,
  type OperatorChange,
  type OperatorView,
} from '../../ca';
import { Code, err, ok, type Result } from '../../errors';
import { defineCommand, flag, invalid, positional, requiredValue, valid, value, type ArgumentParser, type JsonObject, type Outcome, type RunContext } from '../command';
import { removeFirstRunSecret } from '../../runtime/firstRunSecret';
import { readCredentials, terminalPrompter } from '../operatorLogin';
import { answer, choiceInput, details, idPositional, listing, READ_ONLY } from './caSession';
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

const usernamePositional = { username: positional('<username>', 'the operator', usernameInput) };

/** The most --password-stdin reads: a password line is far shorter. */
export const PASSWORD_STDIN_LIMIT = 4096;

const userText = (o: OperatorView) =>
  details({ id: o.id, username: o.username, displayName: o.displayName, roles: o.roles.join(','), status: o.status, mustChangePassword: o.mustChangePassword, createdAt: o.createdAt.toISOString() });

const requestText = (r: ChangeRequestView) =>
  details({ request: r.id, kind: r.kind, target: r.target, state: r.state, payload: r.payload, requestedBy: r.requestedBy, decidedBy: r.decidedBy, reason: r.reason });

/** A change's answer: the operator as changed and its one-time password (shown once), or the pending request. */
function changeAnswer(result: Result<ChangeOutcome>): Outcome {
  if (!result.ok) return invalid(result.error);
  const { request, operator, oneTimePassword } = result.value;
  const text = [
    request ? requestText(request) : '',
    operator ? userText(operator) : '',
    oneTimePassword ? `oneTimePassword: ${oneTimePassword}\n(shown once: hand it to the operator, who must change it at the next sign-in)\n` : '',
    request?.state === 'PENDING' ? 'pending: another administrator approves it (tqca user approve)\n' : '',
  ].join('');
  return { ...valid({ request, operator, oneTimePassword } as unknown as JsonObject), text };
}

/** A new password: the first line of stdin, TQCA_NEW_PASSWORD, or asked twice on a terminal. */
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

const change = (build: (input: { options: Record<string, unknown>; username: string }) => OperatorChange) => (args: { options: Record<string, unknown>; positionals: { username: string } }) =>
  asDatabaseOperator(async (ctx, operator) => changeAnswer(await changeOperator(ctx, operator, build({ options: args.options, username: args.positionals.username }))));

export const create = defineCommand({
  description: `Creates an operator. --bootstrap creates the first administrator of an empty console
without signing in (its password from --password-stdin, TQCA_NEW_PASSWORD or a prompt); it is
refused once any operator exists. Otherwise an administrator (TQCA_OPERATOR/TQCA_PASSWORD)
creates the account: before the governance seal at once, after it as a request a second
administrator approves (tqca user approve). The console generates the new account's one-time
password and shows it once to the administrator who made the account — after the seal, the
approver. Separation of duties: one role per account (ADMIN, OFFICER or AUDITOR).`,
  options: {
    name: requiredValue('<display name>', 'the name shown in the console and audit views', (text) => ok(text)),
    roles: value('<role>', `${ROLES.join(' | ')} (with --bootstrap ADMIN is implied)`, rolesInput),
    bootstrap: flag('create the first administrator of an empty console (no sign-in)'),
    passwordStdin: flag('--bootstrap: read the password from the first line of stdin'),
  },
  positionals: { username: positional('<username>', `lowercase, ${USERNAME_PATTERN}`, usernameInput) },
  async run({ options, positionals }, context) {
    const input = { username: positionals.username, displayName: options.name, roles: options.roles ?? [] };
    if (options.bootstrap) {
      const password = await newPassword(options.passwordStdin, context);
      if (!password.ok) return invalid(password.error);
      return onDatabase(async (ctx) => answer(await bootstrapAdministrator(ctx, { ...input, password: password.value }), 'operator', userText));
    }
    if (input.roles.length === 0) return invalid({ code: 'ROLE_INVALID', message: 'give --roles', field: 'roles' });
    return asDatabaseOperator(async (ctx, operator) => changeAnswer(await changeOperator(ctx, operator, { kind: 'CREATE', operator: input })));
  },
});

export const role = defineCommand({
  description: 'Changes an operator’s role (grants the new one, removes the old): at once before the governance seal, a request for a second administrator after it.',
  options: { roles: requiredValue('<role>', ROLES.join(' | '), rolesInput) },
  positionals: usernamePositional,
  run: change(({ options, username }) => ({ kind: 'SET_ROLES', username, roles: options.roles as OperatorRole[] })),
});

export const enable = defineCommand({
  description: 'Enables a disabled operator: at once before the governance seal, a request for a second administrator after it.',
  options: {},
  positionals: usernamePositional,
  run: change(({ username }) => ({ kind: 'ENABLE', username })),
});

export const resetSecondFactor = defineCommand({
  description: 'Resets an operator’s second factor (TOTP): at once before the governance seal, a request for a second administrator after it.',
  options: {},
  positionals: usernamePositional,
  run: change(({ username }) => ({ kind: 'RESET_SECOND_FACTOR', username })),
});

export const resetPassword = defineCommand({
  description: `Resets an operator's password to a one-time password the console generates, which
the operator must change at the next sign-in: at once before the governance seal, a request for a
second administrator after it (tqca user approve shows the password once, to the approver, as the
console's queue does). The operator's sessions end when it takes effect.`,
  options: {},
  positionals: usernamePositional,
  run: change(({ username }) => ({ kind: 'RESET_PASSWORD', username })),
});

export const disable = defineCommand({
  description: `Disables an operator at once (one administrator: reducing privilege is what incident
response needs fast). Enabling again is dual-controlled. The last active administrator — after the
governance seal, the last two — cannot be disabled.`,
  options: {},
  positionals: usernamePositional,
  run: ({ positionals }) => asDatabaseOperator(async (ctx, operator) => answer(await disableOperator(ctx, operator, positionals.username), 'operator', userText)),
});

export const passwd = defineCommand({
  description: `Changes your own password (TQCA_OPERATOR/TQCA_PASSWORD: the current one; the new one from
--password-stdin, TQCA_NEW_PASSWORD or a prompt). At least 12 characters and not a common
password. The only command a one-time password allows; replacing the first-run administrator's
deletes its file in .data/secrets.`,
  options: { passwordStdin: flag('read the new password from the first line of stdin') },
  positionals: {},
  async run({ options }, context) {
    const login = await readCredentials();
    if (!login.ok) return invalid(login.error);
    const next = await newPassword(options.passwordStdin, context);
    if (!next.ok) return invalid(next.error);
    return onDatabase(async (ctx) => {
      const changed = await changePassword(ctx, login.value.username, login.value.password, next.value);
      if (!changed.ok) return invalid(changed.error);
      const removed = changed.value.replacedOneTimePassword && removeFirstRunSecret(login.value.username);
      return { ...valid({ operator: changed.value.operator as unknown as JsonObject, firstRunSecretRemoved: removed }), text: userText(changed.value.operator) };
    });
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

const STATES = ['PENDING', 'APPROVED', 'REJECTED'] as const;

export const requests = defineCommand({
  description: 'Lists operator change requests (administrators and auditors).',
  options: { state: value('<state>', STATES.join(' | '), choiceInput('state', STATES)) },
  positionals: {},
  run: ({ options }) =>
    asDatabaseOperator(async (ctx, operator) => {
      const rows = await listOperatorChanges(ctx, operator, { state: options.state });
      if (!rows.ok) return invalid(rows.error);
      return listing(rows.value, 'requests', [
        ['id', (r) => r.id],
        ['kind', (r) => r.kind],
        ['target', (r) => r.target],
        ['state', (r) => r.state],
        ['requestedBy', (r) => r.requestedBy],
        ['decidedBy', (r) => r.decidedBy],
      ]);
    }),
});

export const approve = defineCommand({
  description: 'Approves an operator change request (an administrator other than its requester): the change takes effect now.',
  options: {},
  positionals: { request: idPositional('<request>', 'the change request id') },
  run: ({ positionals }) => asDatabaseOperator(async (ctx, operator) => changeAnswer(await approveOperatorChange(ctx, operator, positionals.request))),
});

export const reject = defineCommand({
  description: 'Rejects a pending operator change request, with a reason (its requester withdraws it this way).',
  options: { reason: requiredValue('<text>', 'why (kept in the audit log)', (text) => ok(text)) },
  positionals: { request: idPositional('<request>', 'the change request id') },
  run: ({ options, positionals }) => asDatabaseOperator(async (ctx, operator) => answer(await rejectOperatorChange(ctx, operator, positionals.request, options.reason), 'request', requestText)),
});
