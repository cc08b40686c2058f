/**
 * The HSM checked against the database at start-up. Every root key in use (ACTIVE, or PENDING:
 * created and awaiting activation) must be in the HSM under its recorded CKA_ID with its recorded
 * public key. A deleted token store must not be re-created empty under such a CA, and a replaced
 * one (a fresh token with other keys) is told apart by the public keys. When the check fails the
 * CA still opens — reading, listing and auditing need no HSM — but its key interface refuses to
 * sign, generate or destroy with the typed error, and the failure is raised as an alarm: one line
 * on stderr and, when the database takes writes, an audit event.
 */
import { appendAuditEvent, SYSTEM_ACTOR } from '../audit';
import { equal, toHex } from '../bytes';
import type { Prisma, PrismaClient } from '../db/generated/client';
import { Code, type Result, type TqError } from '../errors';
import type { CaKeys } from './keys';
import { formatIndex } from './rootKeyRules';
import type { CaServices } from './services';
import { transact } from './transaction';

const IN_USE: Prisma.RootKeyWhereInput = { state: { in: ['ACTIVE', 'ANNOUNCED', 'PENDING'] } };

/** The embedded token may be created only under a CA that has no root key in use. */
export async function mayInitialiseToken(prisma: PrismaClient): Promise<boolean> {
  return (await prisma.rootKey.count({ where: IN_USE })) === 0;
}

/** The first root key in use that the HSM does not hold as recorded, or null. */
export async function rootKeyDiscrepancy(prisma: PrismaClient, keys: CaKeys): Promise<TqError | null> {
  const inUse = await prisma.rootKey.findMany({ where: IN_USE, orderBy: { index: 'asc' } });
  for (const key of inUse) {
    const where = { rootKeyIndex: formatIndex(key.index), state: key.state, label: key.hsmKeyLabel, id: toHex(key.hsmKeyId), publicKey: toHex(key.publicKey) };
    const found = await keys.findKey({ id: key.hsmKeyId });
    if (!found.ok) {
      if (found.error.code !== Code.HSM_KEY_NOT_FOUND) return { ...found.error, details: { ...found.error.details, ...where } };
      return { code: 'HSM_KEY_MISSING', message: `the HSM does not hold root key ${where.rootKeyIndex} (${key.hsmKeyLabel})`, details: where };
    }
    if (!equal(found.value.publicKey, key.publicKey)) {
      return {
        code: 'HSM_KEY_MISMATCH',
        message: `the HSM key with the CKA_ID of root key ${where.rootKeyIndex} has another public key`,
        details: { ...where, hsmPublicKey: toHex(found.value.publicKey) },
      };
    }
  }
  return null;
}

export interface CheckedHsm {
  readonly keys: CaKeys;
  /** Why signing is refused; null when every root key in use is in the HSM as recorded (or the check waits for activation). */
  readonly alarm: TqError | null;
}

type Raise = (line: string) => void;

/**
 * Checks the HSM the process opened (`opened`; opening it may have failed) against the root keys
 * in use. Without root keys in use a failed opening stays the error it is. An HSM whose signing is
 * locked (the quorum profile) cannot be asked yet: it is checked before its first signature.
 */
export async function checkHsmAtStartup(
  ca: Pick<CaServices, 'prisma' | 'now'>,
  opened: Result<CaKeys>,
  raise: Raise = (line) => process.stderr.write(line),
): Promise<Result<CheckedHsm>> {
  if (!opened.ok) {
    if (await mayInitialiseToken(ca.prisma)) return opened;
    const alarm: TqError = { code: 'HSM_KEY_MISSING', message: `the HSM holding the root keys in use cannot be opened: ${opened.error.message}`, details: { cause: opened.error.code } };
    await raiseAlarm(ca, alarm, raise);
    return { ok: true, value: { keys: refusingToSign(null, alarm), alarm } };
  }
  const alarm = await rootKeyDiscrepancy(ca.prisma, opened.value);
  if (alarm?.code === Code.HSM_LOCKED) return { ok: true, value: { keys: checkedBeforeSigning(ca, opened.value, raise), alarm: null } };
  if (!alarm) return { ok: true, value: { keys: opened.value, alarm: null } };
  await raiseAlarm(ca, alarm, raise);
  return { ok: true, value: { keys: refusingToSign(opened.value, alarm), alarm } };
}

async function raiseAlarm(ca: Pick<CaServices, 'prisma' | 'now'>, alarm: TqError, raise: Raise): Promise<void> {
  raise(`tqca: ALARM ${alarm.code}: ${alarm.message}; signing is refused until the HSM holds every root key in use\n`);
  await recordAlarm(ca, alarm);
}

/** The start-up check deferred to the first call that changes or uses a key, once signing is activated. */
function checkedBeforeSigning(ca: Pick<CaServices, 'prisma' | 'now'>, keys: CaKeys, raise: Raise): CaKeys {
  let verdict: Promise<TqError | null> | null = null;
  // Once the HSM matched, no signature waits for the check again.
  let passed = false;
  const check = async (): Promise<TqError | null> => {
    verdict ??= rootKeyDiscrepancy(ca.prisma, keys).then(async (alarm) => {
      if (alarm && alarm.code !== Code.HSM_LOCKED) await raiseAlarm(ca, alarm, raise);
      return alarm;
    });
    const alarm = await verdict;
    // Still locked: ask again next time; a discrepancy refuses for the life of the process.
    if (alarm?.code === Code.HSM_LOCKED) verdict = null;
    passed = alarm === null;
    return alarm;
  };
  const guarded =
    <A extends unknown[], T>(call: (...args: A) => Promise<Result<T>>) =>
    async (...args: A): Promise<Result<T>> => {
      const alarm = passed ? null : await check();
      return alarm ? { ok: false, error: alarm } : call(...args);
    };
  return {
    generateKey: guarded((request) => keys.generateKey(request)),
    sign: guarded((name, message) => keys.sign(name, message)),
    destroyKey: guarded((name) => keys.destroyKey(name)),
    findKey: (name) => keys.findKey(name),
    health: () => keys.health(),
  };
}

/** Best effort: a read-only or unreachable database still gets the stderr line. */
async function recordAlarm(ca: Pick<CaServices, 'prisma' | 'now'>, alarm: TqError): Promise<void> {
  try {
    await transact(ca.prisma, (tx) =>
      appendAuditEvent(tx, {
        actor: SYSTEM_ACTOR,
        action: 'hsm.rootKeyCheckFailed',
        objectType: 'hsm',
        objectId: 'root-keys',
        details: { code: alarm.code, message: alarm.message, ...alarm.details },
        time: ca.now(),
      }),
    );
  } catch {
    // The alarm line is out already; the database is what cannot take it.
  }
}

/** The HSM with its look-ups intact (for diagnosis) and every key-changing or signing call refused. */
function refusingToSign(keys: CaKeys | null, alarm: TqError): CaKeys {
  const refused = async () => ({ ok: false as const, error: alarm });
  return {
    generateKey: refused,
    sign: refused,
    destroyKey: refused,
    findKey: keys ? (name) => keys.findKey(name) : refused,
    health: keys ? () => keys.health() : refused,
  };
}
/** `tqca hsm init` on the record: a token created, or completed with its user PIN. */
export async function recordTokenInitialisation(
  ca: Pick<CaServices, 'prisma' | 'now'>,
  outcome: { readonly state: string; readonly tokenLabel: string; readonly serialNumber: string; readonly store: string },
): Promise<Result<void>> {
  const rootKeysInUse = await ca.prisma.rootKey.count({ where: IN_USE });
  return transact(ca.prisma, async (tx) => {
    await appendAuditEvent(tx, {
      actor: SYSTEM_ACTOR,
      action: `hsm.token${outcome.state === 'created' ? 'Created' : 'Completed'}`,
      objectType: 'hsm',
      objectId: outcome.tokenLabel,
      details: { ...outcome, rootKeysInUse },
      time: ca.now(),
    });
  });
}
