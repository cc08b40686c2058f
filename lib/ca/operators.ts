/**
 * Operators (console users): bootstrap of the first administrator, creation and status changes by
 * an administrator, listing, and password authentication. Passwords are stored as scrypt hashes
 * whose parameters travel in the hash string, so they can be raised without a migration.
 * Roles: ADMIN manages operators; OFFICER runs the CA (institutions, keys, requests); AUDITOR reads.
 */
import { randomBytes, scrypt as scryptCallback, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { appendAuditEvent, SYSTEM_ACTOR, type AuditActor } from '../audit';
import type { Tx } from '../db/client';
import { OperatorRole, OperatorStatus } from '../db/generated/enums';
import { err, ok, type ErrorCode, type Result, type TqError } from '../errors';
import { MAX_NAME_LENGTH, singleLineText } from './text';
import { checkRole, requireRole, type Operator, type ServiceContext } from './context';
import { refuse, transact } from './transaction';

export { OperatorRole, OperatorStatus };

export const USERNAME_PATTERN = /^[a-z][a-z0-9._-]{1,63}$/;
export const MIN_PASSWORD_LENGTH = 12;
const MAX_PASSWORD_BYTES = 1024;

// scrypt N=2^15, r=8, p=1 (32 MiB, ~0.1 s here): OWASP's recommended minimum for scrypt.
const SCRYPT = { N: 32768, r: 8, p: 1, keyLength: 32, saltLength: 16 };

export interface OperatorView {
  readonly id: number;
  readonly username: string;
  readonly displayName: string;
  readonly roles: readonly OperatorRole[];
  readonly status: OperatorStatus;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

export interface NewOperator {
  readonly username: string;
  readonly displayName: string;
  readonly password: string;
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

function checkNewOperator(input: NewOperator): Result<NewOperator> {
  const invalid = (field: string, message: string, code: ErrorCode = 'OPERATOR_INVALID') => err(code, message, { field });
  if (!USERNAME_PATTERN.test(input.username) || input.username === SYSTEM_ACTOR) {
    return invalid('username', `username must match ${USERNAME_PATTERN} and not be "${SYSTEM_ACTOR}"`);
  }
  const displayName = singleLineText(input.displayName, 'displayName', 'OPERATOR_INVALID', MAX_NAME_LENGTH);
  if (!displayName.ok) return displayName;
  if ([...input.password].length < MIN_PASSWORD_LENGTH) {
    return invalid('password', `password must have at least ${MIN_PASSWORD_LENGTH} characters`, 'PASSWORD_TOO_SHORT');
  }
  if (Buffer.byteLength(input.password) > MAX_PASSWORD_BYTES) return invalid('password', `password longer than ${MAX_PASSWORD_BYTES} bytes`);
  if (input.roles.length === 0) return invalid('roles', 'an operator needs at least one role');
  const unknown = input.roles.filter((r) => !Object.hasOwn(OperatorRole, r));
  if (unknown.length > 0) return invalid('roles', `unknown role ${unknown.join(', ')}`);
  return ok({ ...input, displayName: displayName.value, roles: [...new Set(input.roles)] });
}

const UNIQUE_ERRORS: Readonly<Record<string, TqError>> = {
  operator_username_key: { code: 'OPERATOR_EXISTS', message: 'an operator with this username exists', field: 'username' },
};

const step = <T>(ctx: ServiceContext, work: (tx: Tx) => Promise<T>) => transact(ctx.prisma, work, UNIQUE_ERRORS);

async function insertOperator(tx: Tx, ctx: ServiceContext, actor: AuditActor, input: NewOperator, passwordHash: string, bootstrap: boolean): Promise<OperatorView> {
  const { roles } = input;
  if (await tx.operator.findUnique({ where: { username: input.username }, select: { id: true } })) {
    refuse('OPERATOR_EXISTS', `operator ${input.username} exists`, { field: 'username' });
  }
  const created = await tx.operator.create({
    data: { username: input.username, displayName: input.displayName, passwordHash, roles: [...roles], createdAt: ctx.now(), updatedAt: ctx.now() },
  });
  await appendAuditEvent(tx, {
    actor,
    action: 'operator.create',
    objectType: 'operator',
    objectId: String(created.id),
    details: { username: created.username, displayName: created.displayName, roles, ...(bootstrap ? { bootstrap: true } : {}) },
    time: ctx.now(),
  });
  return view(created);
}

/**
 * Creates the first operator, an ADMIN, when there is none; attributed to "system". Refused
 * (OPERATOR_BOOTSTRAP_DONE) once any operator exists, even when two bootstraps race.
 */
export async function bootstrapAdministrator(ctx: ServiceContext, input: Omit<NewOperator, 'roles'> & { roles?: readonly OperatorRole[] }): Promise<Result<OperatorView>> {
  const checked = checkNewOperator({ ...input, roles: ['ADMIN', ...(input.roles ?? [])] });
  if (!checked.ok) return checked;
  const passwordHash = await hashPassword(input.password);
  return step(ctx, async (tx) => {
    // Serialises concurrent bootstraps: the second one waits here, then sees the first operator.
    await tx.$executeRaw`LOCK TABLE operator IN SHARE ROW EXCLUSIVE MODE`;
    if ((await tx.operator.count()) > 0) refuse('OPERATOR_BOOTSTRAP_DONE', 'operators exist: sign in as an administrator to create more');
    return insertOperator(tx, ctx, SYSTEM_ACTOR, checked.value, passwordHash, true);
  });
}

export async function createOperator(ctx: ServiceContext, actor: Operator, input: NewOperator): Promise<Result<OperatorView>> {
  const allowed = checkRole(actor, ['ADMIN'], 'create operators');
  if (!allowed.ok) return allowed;
  const checked = checkNewOperator(input);
  if (!checked.ok) return checked;
  const passwordHash = await hashPassword(input.password);
  return step(ctx, async (tx) => {
    await requireActiveOperator(tx, actor);
    return insertOperator(tx, ctx, actor, checked.value, passwordHash, false);
  });
}

/** ENABLE/DISABLE an operator. The last active administrator cannot be disabled. */
export async function setOperatorStatus(ctx: ServiceContext, actor: Operator, username: string, status: OperatorStatus): Promise<Result<OperatorView>> {
  return step(ctx, async (tx) => {
    requireRole(actor, ['ADMIN'], 'change operator status');
    await requireActiveOperator(tx, actor);
    // Locks the row: two administrators disabling each other cannot both pass the last-admin check.
    const [target] = await tx.$queryRaw<{ id: number }[]>`SELECT id FROM operator WHERE username = ${username} FOR UPDATE`;
    if (!target) refuse('OPERATOR_NOT_FOUND', `no operator ${username}`, { field: 'username' });
    const current = await tx.operator.findUniqueOrThrow({ where: { id: target.id } });
    if (current.status === status) return view(current);
    if (status === 'DISABLED' && current.roles.includes('ADMIN')) {
      await tx.$executeRaw`LOCK TABLE operator IN SHARE ROW EXCLUSIVE MODE`;
      // Raw: pglite-prisma-adapter 0.7 mis-encodes enum-array filters (`roles: { has }`).
      const [{ admins }] = await tx.$queryRaw<{ admins: bigint }[]>`SELECT count(*) AS admins FROM operator WHERE status = 'ACTIVE' AND 'ADMIN' = ANY (roles)`;
      if (admins <= 1n) refuse('OPERATOR_LAST_ADMIN', 'the last active administrator cannot be disabled');
    }
    const updated = await tx.operator.update({ where: { id: current.id }, data: { status, updatedAt: ctx.now() } });
    await appendAuditEvent(tx, {
      actor,
      action: status === 'DISABLED' ? 'operator.disable' : 'operator.enable',
      objectType: 'operator',
      objectId: String(updated.id),
      details: { username, from: current.status, to: status },
      time: ctx.now(),
    });
    return view(updated);
  });
}

export async function listOperators(ctx: ServiceContext, actor: Operator): Promise<Result<OperatorView[]>> {
  const allowed = checkRole(actor, ['ADMIN', 'AUDITOR'], 'list operators');
  if (!allowed.ok) return allowed;
  const rows = await ctx.prisma.operator.findMany({ orderBy: { id: 'asc' } });
  return ok(rows.map(view));
}

/**
 * Checks a username and password. Unknown usernames, wrong passwords and disabled operators all
 * answer AUTHENTICATION_FAILED, after the same scrypt work, so the answer reveals nothing.
 */
export async function authenticate(ctx: ServiceContext, username: string, password: string): Promise<Result<Operator>> {
  const row = USERNAME_PATTERN.test(username) ? await ctx.prisma.operator.findUnique({ where: { username } }) : null;
  decoyHash ??= hashPassword(randomBytes(16).toString('hex'));
  const passwordOk = Buffer.byteLength(password) <= MAX_PASSWORD_BYTES && (await verifyPassword(password, row?.passwordHash ?? (await decoyHash)));
  if (!row || !passwordOk || row.status !== 'ACTIVE') {
    return err('AUTHENTICATION_FAILED', 'unknown operator, wrong password or disabled operator', { field: 'operator' });
  }
  return ok({ id: row.id, username: row.username, displayName: row.displayName, roles: row.roles });
}

/** A session may outlive its operator's status: state changes re-check it inside the transaction. */
export async function requireActiveOperator(tx: Tx, actor: Operator): Promise<void> {
  const row = await tx.operator.findUnique({ where: { id: actor.id }, select: { status: true } });
  if (row?.status !== 'ACTIVE') refuse('OPERATOR_DISABLED', `operator ${actor.username} is disabled`, { field: 'operator' });
}

function view(row: { id: number; username: string; displayName: string; roles: OperatorRole[]; status: OperatorStatus; createdAt: Date; updatedAt: Date }): OperatorView {
  return { id: row.id, username: row.username, displayName: row.displayName, roles: row.roles, status: row.status, createdAt: row.createdAt, updatedAt: row.updatedAt };
}
