/**
 * The console's second factor: TOTP (RFC 6238: HMAC-SHA-1, 6 digits, 30-second steps) with at
 * most one step of drift either way, each code accepted once (the last accepted step is stored and
 * only a later step passes), and 10 single-use recovery codes stored as SM3 hashes. The TOTP secret
 * is sealed with AES-256-GCM under the console key (bound to the operator id as associated data),
 * so a database dump alone does not yield working codes.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { Secret, TOTP } from 'otpauth';
import { appendAuditEvent } from '../audit';
import { sm3 } from '../crypto/sm3';
import type { PrismaClient, Tx } from '../db/client';
import type { Result } from '../errors';
import type { Operator, ServiceContext } from './context';
import { requireActiveOperator } from './operators';
import { refuse, transact } from './transaction';

export const TOTP_PERIOD_SECONDS = 30;
export const TOTP_DIGITS = 6;
export const TOTP_DRIFT_STEPS = 1;
export const RECOVERY_CODE_COUNT = 10;
const ISSUER = 'TQ-CA';
const SECRET_BYTES = 20;

/** What second-factor services run against: the database and clock, plus the 32-byte sealing key. */
export interface SecondFactorContext extends ServiceContext {
  readonly sealKey: Uint8Array;
}

export interface Enrolment {
  /** Base32, for typing into an authenticator by hand. */
  readonly secret: string;
  /** otpauth://totp/… for the QR code. */
  readonly uri: string;
}

const totp = (operator: { username: string }, secret: Secret) =>
  new TOTP({ issuer: ISSUER, label: operator.username, algorithm: 'SHA1', digits: TOTP_DIGITS, period: TOTP_PERIOD_SECONDS, secret });

const aad = (operatorId: number) => Buffer.from(`tqca-totp:${operatorId}`);

export function sealSecret(key: Uint8Array, operatorId: number, secret: Uint8Array): Uint8Array<ArrayBuffer> {
  const nonce = randomBytes(12);
  const cipher = createCipheriv('aes-256-gcm', key, nonce).setAAD(aad(operatorId));
  const sealed = Buffer.concat([nonce, cipher.update(secret), cipher.final(), cipher.getAuthTag()]);
  return new Uint8Array(sealed);
}

function openSecret(key: Uint8Array, operatorId: number, sealed: Uint8Array): Uint8Array {
  const bytes = Buffer.from(sealed);
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, bytes.subarray(0, 12)).setAAD(aad(operatorId));
    decipher.setAuthTag(bytes.subarray(bytes.length - 16));
    return Buffer.concat([decipher.update(bytes.subarray(12, bytes.length - 16)), decipher.final()]);
  } catch {
    // A changed console key or a tampered row: the operator needs a second-factor reset, not a crash.
    refuse('SECOND_FACTOR_UNREADABLE', 'the stored TOTP secret does not open with the console key', { field: 'secondFactor' });
  }
}

/** Six digits, or a recovery code: anything else is refused before any lookup. */
const TOTP_CODE = /^\d{6}$/;
const RECOVERY_ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789'; // no 0/O, 1/I/L, U
const RECOVERY_CODE = new RegExp(`^[${RECOVERY_ALPHABET}]{10}$`);

export const normaliseCode = (code: string): string => code.replace(/[\s-]/g, '').toUpperCase();

function newRecoveryCode(): string {
  const bytes = randomBytes(10);
  const chars = [...bytes].map((b) => RECOVERY_ALPHABET[b % RECOVERY_ALPHABET.length]).join('');
  return `${chars.slice(0, 5)}-${chars.slice(5)}`;
}

const recoveryHash = (code: string) => new Uint8Array(sm3(Buffer.from(`tqca-recovery:${normaliseCode(code)}`)));

/**
 * Starts (or restarts, while unconfirmed) TOTP enrolment: a fresh secret, sealed and stored
 * unconfirmed. An operator with a confirmed second factor is refused (re-enrolment is an
 * administrator's reset).
 */
export async function beginEnrolment(ctx: SecondFactorContext, actor: Operator): Promise<Result<Enrolment>> {
  return transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const existing = await tx.operatorSecondFactor.findUnique({ where: { operatorId: actor.id } });
    if (existing?.confirmedAt) refuse('SECOND_FACTOR_ENROLLED', `${actor.username} has a second factor already`, { field: 'secondFactor' });
    const secret = new Secret({ buffer: randomBytes(SECRET_BYTES).buffer });
    const sealed = sealSecret(ctx.sealKey, actor.id, new Uint8Array(secret.buffer));
    await tx.operatorSecondFactor.upsert({
      where: { operatorId: actor.id },
      create: { operatorId: actor.id, secretSealed: sealed, createdAt: ctx.now() },
      update: { secretSealed: sealed, createdAt: ctx.now(), lastUsedStep: null },
    });
    await appendAuditEvent(tx, { actor, action: 'operator.secondFactor.enrolmentStarted', objectType: 'operator', objectId: String(actor.id), time: ctx.now() });
    return { secret: secret.base32, uri: totp(actor, secret).toString() };
  });
}

/** The unconfirmed enrolment's secret again (a page reload), or SECOND_FACTOR_NOT_ENROLLED. */
export async function pendingEnrolment(ctx: SecondFactorContext, actor: Operator): Promise<Result<Enrolment | null>> {
  return transact(ctx.prisma, async (tx) => {
    const row = await tx.operatorSecondFactor.findUnique({ where: { operatorId: actor.id } });
    if (!row || row.confirmedAt) return null;
    const secret = new Secret({ buffer: new Uint8Array(openSecret(ctx.sealKey, actor.id, row.secretSealed)).buffer });
    return { secret: secret.base32, uri: totp(actor, secret).toString() };
  });
}

/**
 * Confirms enrolment with a first code (which is then used up) and returns the recovery codes, in
 * clear this once; only their hashes are stored. The console session that enrolled (when given)
 * counts as having just proved its second factor.
 */
export async function confirmEnrolment(ctx: SecondFactorContext, actor: Operator, code: string, sessionId?: string): Promise<Result<string[]>> {
  return transact(ctx.prisma, async (tx) => {
    await requireActiveOperator(tx, actor);
    const row = await lockSecondFactor(tx, actor.id);
    if (!row) refuse('SECOND_FACTOR_NOT_ENROLLED', 'start the enrolment first', { field: 'secondFactor' });
    if (row.confirmedAt) refuse('SECOND_FACTOR_ENROLLED', `${actor.username} has a second factor already`, { field: 'secondFactor' });
    const step = acceptedStep(ctx, actor, row, normaliseCode(code));
    await tx.operatorSecondFactor.update({ where: { operatorId: actor.id }, data: { confirmedAt: ctx.now(), lastUsedStep: step } });
    const codes = Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);
    await tx.operatorRecoveryCode.deleteMany({ where: { operatorId: actor.id } });
    await tx.operatorRecoveryCode.createMany({ data: codes.map((c) => ({ operatorId: actor.id, codeHash: recoveryHash(c), createdAt: ctx.now() })) });
    if (sessionId) await tx.consoleSession.updateMany({ where: { id: sessionId, operatorId: actor.id, endedAt: null }, data: { secondFactorAt: ctx.now() } });
    await appendAuditEvent(tx, {
      actor,
      action: 'operator.secondFactor.enrolled',
      objectType: 'operator',
      objectId: String(actor.id),
      details: { recoveryCodes: RECOVERY_CODE_COUNT },
      time: ctx.now(),
    });
    return codes;
  });
}

export type SecondFactorMethod = 'totp' | 'recovery';

/**
 * Removes an operator's enrolment and recovery codes (an approved RESET_SECOND_FACTOR; after the
 * seal the database refuses it in any other transaction): the next sign-in enrols again.
 */
export async function removeSecondFactor(tx: Tx, operatorId: number): Promise<void> {
  await tx.operatorRecoveryCode.deleteMany({ where: { operatorId } });
  await tx.operatorSecondFactor.deleteMany({ where: { operatorId } });
}

/** Whether the operator has a confirmed second factor (sign-in then demands a code). */
export async function hasSecondFactor(db: Tx | PrismaClient, operatorId: number): Promise<boolean> {
  const row = await db.operatorSecondFactor.findUnique({ where: { operatorId }, select: { confirmedAt: true } });
  return row?.confirmedAt != null;
}

/**
 * Checks a TOTP or recovery code inside the caller's transaction and uses it up; throws
 * SECOND_FACTOR_INVALID (wrong, reused, outside the drift window) or SECOND_FACTOR_NOT_ENROLLED.
 */
export async function consumeSecondFactor(tx: Tx, ctx: SecondFactorContext, operator: Operator, code: string): Promise<SecondFactorMethod> {
  const row = await lockSecondFactor(tx, operator.id);
  if (!row?.confirmedAt) refuse('SECOND_FACTOR_NOT_ENROLLED', `${operator.username} has no second factor`, { field: 'secondFactor' });
  const normalised = normaliseCode(code);
  if (RECOVERY_CODE.test(normalised)) {
    const used = await tx.operatorRecoveryCode.updateMany({
      where: { operatorId: operator.id, codeHash: recoveryHash(normalised), usedAt: null },
      data: { usedAt: ctx.now() },
    });
    if (used.count !== 1) refuse('SECOND_FACTOR_INVALID', 'the code is wrong, used already or expired', { field: 'code' });
    return 'recovery';
  }
  const step = acceptedStep(ctx, operator, row, normalised);
  await tx.operatorSecondFactor.update({ where: { operatorId: operator.id }, data: { lastUsedStep: step } });
  return 'totp';
}

type SecondFactorRow = { operatorId: number; secretSealed: Uint8Array; confirmedAt: Date | null; lastUsedStep: bigint | null };

async function lockSecondFactor(tx: Tx, operatorId: number): Promise<SecondFactorRow | undefined> {
  // Row lock: two sign-ins racing with one code cannot both pass the "later step" check.
  const [row] = await tx.$queryRaw<{ operator_id: number; secret_sealed: Uint8Array; confirmed_at: Date | null; last_used_step: bigint | null }[]>`
    SELECT operator_id, secret_sealed, confirmed_at, last_used_step FROM operator_second_factor WHERE operator_id = ${operatorId} FOR UPDATE`;
  return row && { operatorId: row.operator_id, secretSealed: row.secret_sealed, confirmedAt: row.confirmed_at, lastUsedStep: row.last_used_step };
}

/** The time step the code belongs to (now ± drift), if it is later than the last one accepted. */
function acceptedStep(ctx: SecondFactorContext, operator: Operator, row: SecondFactorRow, code: string): bigint {
  if (!TOTP_CODE.test(code)) refuse('SECOND_FACTOR_INVALID', 'the code is wrong, used already or expired', { field: 'code' });
  const secret = new Secret({ buffer: new Uint8Array(openSecret(ctx.sealKey, operator.id, row.secretSealed)).buffer });
  const timestamp = ctx.now().getTime();
  const delta = totp(operator, secret).validate({ token: code, timestamp, window: TOTP_DRIFT_STEPS });
  const step = delta === null ? null : BigInt(Math.floor(timestamp / 1000 / TOTP_PERIOD_SECONDS) + delta);
  if (step === null || (row.lastUsedStep !== null && step <= row.lastUsedStep)) {
    refuse('SECOND_FACTOR_INVALID', 'the code is wrong, used already or expired', { field: 'code' });
  }
  return step;
}
