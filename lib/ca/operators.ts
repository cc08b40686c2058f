/**
 * Operator accounts: bootstrap of the first administrator, sign-in (with failed attempts audited
 * and a lockout), password changes, disabling, listing. Creating, re-roling, enabling and
 * resetting a second factor are governed changes (operatorChanges.ts). Passwords are stored as
 * scrypt hashes whose parameters travel in the hash string, so they can be raised without a
 * migration. Roles (one per account, separationOfDuties.ts): ADMIN manages operators; OFFICER runs
 * the CA (institutions, keys, requests); AUDITOR reads.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { appendAuditEvent, SYSTEM_ACTOR, type AuditActor } from '../audit';
import type { Tx } from '../db/client';
import { OperatorRole, OperatorStatus } from '../db/generated/enums';
import { err, ok, type Result, type TqError } from '../errors';
import { MAX_NAME_LENGTH, singleLineText } from './text';
import { checkRole, requireRole, type Operator, type ServiceContext } from './context';
import { checkNewPassword, MAX_PASSWORD_BYTES } from './passwordPolicy';
import { checkRoles } from './separationOfDuties';
import { refuse, transact } from './transaction';

export { OperatorRole, OperatorStatus };

export const USERNAME_PATTERN = /^[a-z][a-z0-9._-]{1,63}$/;
export { MIN_PASSWORD_LENGTH } from './passwordPolicy';

/** Consecutive failed sign-ins that lock an account, and for how long. */
export const SIGN_IN_ATTEMPTS = 5;
export const LOCKOUT_MS = 15 * 60_000;

// scrypt N=2^15, r=8, p=1 (32 MiB, ~0.1 s here): OWASP's recommended minimum for scrypt.
const SCRYPT = { N: 32768, r: 8, p: 1, keyLength: 32, saltLength: 16 };

export interface OperatorView {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly OperatorRole[];
  readonly status: OperatorStatus;
  /** The password was chosen by someone else: only a password change is allowed. */
  readonly mustChangePassword: boolean;
  readonly secondFactorEnrolled: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewOperator {
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly OperatorRole[];
}

function scrypt(password: string, salt: Uint8Array, keyLength: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scryptCallback(password.normalize('NFC'), salt, keyLength, { ...options, maxmem: 256 * options.N! * options.r! }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

/** `scrypt$N$r$p$<salt base64>$<key base64>` */
export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLength);
  const key = await scrypt(password, salt, SCRYPT.keyLength, { N: SCRYPT.N, r: SCRYPT.r, p: SCRYPT.p });
  return ['scrypt', SCRYPT.N, SCRYPT.r, SCRYPT.p, salt.toString('base64'), key.toString('base64')].join('$');
}

const HASH_FORMAT = /^scrypt\$(\d+)\$(\d+)\$(\d+)\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/;

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = HASH_FORMAT.exec(stored);
  if (!m) return false;
  const [N, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const expected = Buffer.from(m[5], 'base64');
  // Parameters scrypt refuses (a damaged row) mean "does not verify", not a crash.
  const actual = await scrypt(password, Buffer.from(m[4], 'base64'), expected.length, { N, r, p }).catch(() => undefined);
  return actual !== undefined && expected.length > 0 && timingSafeEqual(actual, expected);
}

// Verified against for unknown usernames, so that they take as long as wrong passwords.
let decoyHash: Promise<string> | undefined;

/** Username, display name and roles of a new operator, as untrusted input. */
export function checkNewOperator(input: NewOperator): Result<NewOperator> {
  const invalid = (field: string, message: string) => err('OPERATOR_INVALID', message, { field });
  if (!USERNAME_PATTERN.test(input.username) || input.username === SYSTEM_ACTOR) {
    return invalid('username', `username must match ${USERNAME_PATTERN} and not be "${SYSTEM_ACTOR}"`);
  }
  const displayName = singleLineText(input.displayName, 'displayName', 'OPERATOR_INVALID', MAX_NAME_LENGTH);
  if (!displayName.ok) return displayName;
  const roles = checkRoles(input.roles);
  if (!roles.ok) return roles;
  return ok({ ...input, displayName: displayName.value, roles: roles.value });
}

const UNIQUE_ERRORS: Readonly<Record<string, TqError>> = {
  operator_username_key: { code: 'OPERATOR_EXISTS', message: 'an operator with this username exists', field: 'username' },
};

export const operatorStep = <T>(ctx: ServiceContext, work: (tx: Tx) => Promise<T>) => transact(ctx.prisma, work, UNIQUE_ERRORS);

/** A new account, with its audit event. Its password is one-time unless its holder chose it. */
export async function insertOperator(
  tx: Tx,
  ctx: ServiceContext,
  actor: AuditActor,
  input: NewOperator,
  password: { readonly hash: string; readonly oneTime: boolean },
  governance: Readonly<Record<string, unknown>>,
  changeRequestId: number | null = null,
): Promise<OperatorView> {
  if (await tx.operator.findUnique({ where: { username: input.username }, select: { id: true } })) {
    refuse('OPERATOR_EXISTS', `operator ${input.username} exists`, { field: 'username' });
  }
  const created = await tx.operator.create({
    include: VIEW_INCLUDE,
    data: {
      username: input.username,
      displayName: input.displayName,
      passwordHash: password.hash,
      mustChangePassword: password.oneTime,
      roles: [...input.roles],
      changeRequestId,
      createdAt: ctx.now(),
      updatedAt: ctx.now(),
    },
  });
  await appendAuditEvent(tx, {
    actor,
    action: 'operator.create',
    objectType: 'operator',
    objectId: String(created.id),
    details: { username: created.username, displayName: created.displayName, roles: input.roles, oneTimePassword: password.oneTime, ...governance },
    time: ctx.now(),
  });
  return view(created);
}

/**
 * Creates the first operator, an ADMIN (and nothing else: separation of duties), when there is
 * none; attributed to "system". Refused (OPERATOR_BOOTSTRAP_DONE) once any operator exists, even
 * when two bootstraps race. `oneTimePassword`: the console generated the password (first run),
 * so it must be changed at the first sign-in.
 */
export async function bootstrapAdministrator(
  ctx: ServiceContext,
  input: Omit<NewOperator, 'roles'> & { readonly password: string; readonly roles?: readonly OperatorRole[]; readonly oneTimePassword?: boolean },
): Promise<Result<OperatorView>> {
  const checked = checkNewOperator({ ...input, roles: ['ADMIN', ...(input.roles ?? [])] });
  if (!checked.ok) return checked;
  const password = input.oneTimePassword ? ok(input.password) : checkNewPassword(input.password);
  if (!password.ok) return password;
  const hash = await hashPassword(input.password);
  return operatorStep(ctx, async (tx) => {
    // Serialises concurrent bootstraps: the second one waits here, then sees the first operator.
    await tx.$executeRaw`LOCK TABLE operator IN SHARE ROW EXCLUSIVE MODE`;
    if ((await tx.operator.count()) > 0) refuse('OPERATOR_BOOTSTRAP_DONE', 'operators exist: sign in as an administrator to create more');
    return insertOperator(tx, ctx, SYSTEM_ACTOR, checked.value, { hash, oneTime: input.oneTimePassword === true }, { bootstrap: true });
  });
}

/**
 * Active administrators the operator set must keep: one before the governance seal (someone
 * must be able to act), two after it (an operator change needs two, so fewer would freeze
 * governance for good).
 */
export async function requireAdministratorsLeft(tx: Tx, losing: { id: number; roles: readonly OperatorRole[] }): Promise<void> {
  if (!losing.roles.includes('ADMIN')) return;
  await tx.$executeRaw`LOCK TABLE operator IN SHARE ROW EXCLUSIVE MODE`;
  // Raw: pglite-prisma-adapter 0.7 mis-encodes enum-array filters (`roles: { has }`).
  const [{ admins, sealed }] = await tx.$queryRaw<{ admins: bigint; sealed: boolean }[]>`
    SELECT count(*) FILTER (WHERE status = 'ACTIVE' AND 'ADMIN' = ANY (roles) AND id <> ${losing.id}) AS admins,
           EXISTS (SELECT 1 FROM governance_seal) AS sealed
    FROM operator`;
  const needed = sealed ? 2n : 1n;
  if (admins < needed) {
    refuse('OPERATOR_LAST_ADMIN', sealed ? 'after the governance seal at least two active administrators remain' : 'the last active administrator cannot be disabled', {
      field: 'username',
      details: { remaining: Number(admins), needed: Number(needed) },
    });
  }
}

/** Locks an operator's row for the rest of the transaction and loads it. */
export async function lockOperator(tx: Tx, username: string) {
  const [target] = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM operator WHERE username = ${username} FOR UPDATE`;
  if (!target) refuse('OPERATOR_NOT_FOUND', `no operator ${username}`, { field: 'username' });
  return tx.operator.findUniqueOrThrow({ where: { id: target.id }, include: VIEW_INCLUDE });
}

/**
 * Disables an operator at once, by one administrator: reducing privilege is the direction
 * incident response needs fast (enabling again is a governed change). The administrators the
 * set must keep (requireAdministratorsLeft) are never disabled.
 */
export async function disableOperator(ctx: ServiceContext, actor: Operator, username: string): Promise<Result<OperatorView>> {
  return operatorStep(ctx, async (tx) => {
    requireRole(actor, ['ADMIN'], 'disable operators');
    await requireActiveOperator(tx, actor);
    // Locks the row: two administrators disabling each other cannot both pass the last-admin check.
    const current = await lockOperator(tx, username);
    if (current.status === 'DISABLED') return view(current);
    await requireAdministratorsLeft(tx, current);
    const updated = await tx.operator.update({ where: { id: current.id }, data: { status: 'DISABLED', updatedAt: ctx.now() }, include: VIEW_INCLUDE });
    await appendAuditEvent(tx, {
      actor,
      action: 'operator.disable',
      objectType: 'operator',
      objectId: String(updated.id),
      details: { username, from: current.status, to: 'DISABLED' },
      time: ctx.now(),
    });
    return view(updated);
  });
}

export async function listOperators(ctx: ServiceContext, actor: Operator): Promise<Result<OperatorView[]>> {
  const allowed = checkRole(actor, ['ADMIN', 'AUDITOR'], 'list operators');
  if (!allowed.ok) return allowed;
  const rows = await ctx.prisma.operator.findMany({ orderBy: { id: 'asc' }, include: VIEW_INCLUDE });
  return ok(rows.map(view));
}

type OperatorRow = Awaited<ReturnType<Tx['operator']['findUniqueOrThrow']>>;

/** What `view` reads besides the row: whether a second factor is confirmed (secondFactor.ts). */
export const VIEW_INCLUDE = { secondFactor: { select: { confirmedAt: true } } } as const;
type ViewedRow = OperatorRow & { readonly secondFactor: { readonly confirmedAt: Date | null } | null };

const AUTHENTICATION_FAILED = err('AUTHENTICATION_FAILED', 'unknown operator, wrong password, disabled or locked operator', { field: 'operator' });

/**
 * Checks a username and password. Unknown usernames, wrong passwords, disabled and locked
 * operators all answer AUTHENTICATION_FAILED after the same scrypt work, so the answer reveals
 * nothing. A failure against an existing account is counted and audited in its own transaction
 * (the caller's, if any, is not involved); the SIGN_IN_ATTEMPTS-th locks the account for
 * LOCKOUT_MS, and attempts while it is locked are neither checked nor recorded. So an attacker
 * hammering one account writes at most SIGN_IN_ATTEMPTS events per lockout, and one hammering
 * unknown names writes none. The count is cleared only by a whole sign-in (settleSignIn), so a
 * known password does not reset the count of wrong second-factor codes.
 */
async function verifyCredentials(ctx: ServiceContext, username: string, password: string): Promise<Result<OperatorRow>> {
  const row = USERNAME_PATTERN.test(username) ? await ctx.prisma.operator.findUnique({ where: { username } }) : null;
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const passwordOk = Buffer.byteLength(password) <= MAX_PASSWORD_BYTES && (await verifyPassword(password, row?.passwordHash ?? (await decoyHash)));
  if (!row) return AUTHENTICATION_FAILED;
  if (row.lockedUntil && row.lockedUntil > ctx.now()) return AUTHENTICATION_FAILED;
  if (!passwordOk || row.status !== 'ACTIVE') {
    const recorded = await recordFailedSignIn(ctx, row, passwordOk ? 'disabled' : 'password');
    return recorded.ok ? AUTHENTICATION_FAILED : recorded;
  }
  return ok(row);
}

async function settleSignIn(ctx: ServiceContext, row: OperatorRow): Promise<void> {
  if (row.failedSignIns > 0 || row.lockedUntil) {
    // Bookkeeping, not a change of the account: the failures that set it were audited.
    await ctx.prisma.operator.update({ where: { id: row.id }, data: { failedSignIns: 0, lockedUntil: null } });
  }
}

type FailureReason = 'password' | 'disabled' | 'secondFactor';

async function recordFailedSignIn(ctx: ServiceContext, row: OperatorRow, reason: FailureReason): Promise<Result<void>> {
  return transact(ctx.prisma, async (tx) => {
    const now = ctx.now();
    const [{ failed_sign_ins: attempt }] = await tx.$queryRaw<{ failed_sign_ins: number }[]>`
      UPDATE operator SET failed_sign_ins = failed_sign_ins + 1 WHERE id = ${row.id} RETURNING failed_sign_ins`;
    const lockedUntil = attempt >= SIGN_IN_ATTEMPTS ? new Date(now.getTime() + LOCKOUT_MS) : null;
    if (lockedUntil) await tx.operator.update({ where: { id: row.id }, data: { failedSignIns: 0, lockedUntil } });
    await appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: 'operator.signInFailed',
      objectType: 'operator',
      objectId: String(row.id),
      details: { username: row.username, reason, attempt, lockedUntil },
      time: now,
    });
  });
}

/**
 * A check after the password, such as the console's second factor. A refusal it marks `counts`
 * is a failed sign-in like a wrong password (counted towards the lockout, audited); others (a
 * code not given yet) leave the count as it is.
 */
export type SecondStep = (operator: Operator) => Promise<Result<void> | { readonly ok: false; readonly error: TqError; readonly counts: boolean }>;

/**
 * Signs an operator in: the password, then `secondStep` when given. An account whose password
 * someone else chose (mustChangePassword) gets PASSWORD_CHANGE_REQUIRED once both passed: it may
 * only change it (changePassword).
 */
export async function authenticate(ctx: ServiceContext, username: string, password: string, secondStep?: SecondStep): Promise<Result<Operator>> {
  const row = await verifyCredentials(ctx, username, password);
  if (!row.ok) return row;
  const operator = signedIn(row.value);
  const second = secondStep ? await secondStep(operator) : ok(undefined);
  if (!second.ok) {
    if ('counts' in second && second.counts) {
      const recorded = await recordFailedSignIn(ctx, row.value, 'secondFactor');
      if (!recorded.ok) return recorded;
    }
    return { ok: false, error: second.error };
  }
  await settleSignIn(ctx, row.value);
  if (row.value.mustChangePassword) {
    return err('PASSWORD_CHANGE_REQUIRED', `${username} must change the one-time password first`, { field: 'password', details: { operatorId: operator.id } });
  }
  return ok(operator);
}

/**
 * A command-line sign-in (each `tqca` command that acts as an operator): the password, then the
 * success audited. The console audits its own with the session it opens (signIn.ts).
 */
export async function signInAtCommandLine(ctx: ServiceContext, username: string, password: string): Promise<Result<Operator>> {
  const operator = await authenticate(ctx, username, password);
  if (!operator.ok) return operator;
  const recorded = await transact(ctx.prisma, (tx) =>
    appendAuditEvent(tx, { actor: operator.value, action: 'operator.signIn.succeeded', objectType: 'operator', objectId: String(operator.value.id), details: { channel: 'cli' }, time: ctx.now() }),
  );
  return recorded.ok ? operator : recorded;
}

const signedIn = (row: OperatorRow): Operator => ({ id: row.id, username: row.username, displayName: row.displayName, roles: row.roles });

export interface PasswordChanged {
  readonly operator: OperatorView;
  /** The replaced password was one-time (first run, or set by an administrator). */
  readonly replacedOneTimePassword: boolean;
}

/**
 * An operator replaces their own password, proving the current one; never logged, only that it
 * changed. Every console session of the operator ends but `keepSessionId` (the one changing it):
 * whoever knew the old password is signed out.
 */
export async function changePassword(ctx: ServiceContext, username: string, current: string, next: string, keepSessionId?: string): Promise<Result<PasswordChanged>> {
  const row = await verifyCredentials(ctx, username, current);
  if (!row.ok) return row;
  const checked = checkNewPassword(next);
  if (!checked.ok) return checked;
  if (next === current) return err('PASSWORD_UNCHANGED', 'the new password is the current one', { field: 'password' });
  const hash = await hashPassword(next);
  const actor = signedIn(row.value);
  return operatorStep(ctx, async (tx) => {
    await requireActiveOperator(tx, actor);
    const updated = await tx.operator.update({ where: { id: actor.id }, data: { passwordHash: hash, mustChangePassword: false, failedSignIns: 0, lockedUntil: null, updatedAt: ctx.now() }, include: VIEW_INCLUDE });
    await tx.consoleSession.updateMany({
      where: { operatorId: actor.id, endedAt: null, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) },
      data: { endedAt: ctx.now(), endReason: 'passwordChanged' },
    });
    await appendAuditEvent(tx, {
      actor,
      action: 'operator.passwordChanged',
      objectType: 'operator',
      objectId: String(actor.id),
      details: { username, replacedOneTimePassword: row.value.mustChangePassword },
      time: ctx.now(),
    });
    return { operator: view(updated), replacedOneTimePassword: row.value.mustChangePassword };
  });
}

/** A session may outlive its operator's status: state changes re-check it inside the transaction. */
export async function requireActiveOperator(tx: Tx, actor: Operator): Promise<void> {
  const row = await tx.operator.findUnique({ where: { id: actor.id }, select: { status: true } });
  if (row?.status !== 'ACTIVE') refuse('OPERATOR_DISABLED', `operator ${actor.username} is disabled`, { field: 'operator' });
}

export function view(row: ViewedRow): OperatorView {
  return {
    id: row.id,
    username: row.username,
    displayName: row.displayName,
    roles: row.roles,
    status: row.status,
    mustChangePassword: row.mustChangePassword,
    secondFactorEnrolled: row.secondFactor?.confirmedAt != null,
    createdAt: row.createdAt,
    updatedAt: row.updatedAt,
  };
}
