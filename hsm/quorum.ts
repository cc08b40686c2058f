/**
 * Quorum activation of the signing keys (the production profile, TQCA_HSM_QUORUM=K/N).
 *
 * At initialisation a random 32-byte secret S is drawn; the token's user PIN and SO PIN are both
 * derived from it (hex of SM3(label ‖ S), 64 characters), the token is initialised with them
 * through PKCS#11, and S is split K-of-N (lib/crypto/shamir.ts) among named officers. What is
 * written is only the public record: the threshold, who holds which x, a random salt, and SM3
 * commitments to S and to each share (S and the shares are uniformly random, so a commitment
 * enables no guessing). The PINs, S and the shares exist only in memory and on the officers' paper.
 *
 * After every start the gate is locked: every KeyManager call answers HSM_LOCKED. Officers enter
 * their shares one by one; each is checked on entry (checksum, then its own commitment, so a wrong
 * share is named and refused without touching the token), and when K are in, S is rebuilt, checked
 * against its commitment, and the derived PIN must pass C_Login — the final check. `lock()` drops
 * the connection at once: calls after it answer HSM_LOCKED, then the sessions close and the token
 * is logged out (a C_Sign already inside the token finishes; the device cannot abort it).
 *
 * The SO PIN comes from the same S, so K officers together can also reset a locked user PIN
 * (C_InitPIN) or, on the software token, recover its master key; no one alone can.
 */
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { linkSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import { toHex } from '../lib/bytes';
import { err, ok, type Result, type TqError } from '../lib/errors';
import { combineShares, decodeShare, encodeShare, splitSecret, type Share } from '../lib/crypto/shamir';
import { sm3 } from '../lib/crypto/sm3';
import { HsmErrorCode } from './errors';
import type { KeyManager } from './keyManager';

const RECORD_FORMAT = 'tqca-hsm-quorum-1';
const SECRET_BYTES = 32;
const SALT_BYTES = 16;

/** The public record of a split: everything activation checks against, nothing that signs. */
export interface QuorumRecord {
  readonly format: typeof RECORD_FORMAT;
  readonly tokenLabel: string;
  readonly k: number;
  readonly n: number;
  /** Hex. */
  readonly salt: string;
  /** Hex SM3(salt ‖ "secret" ‖ S). */
  readonly secretCommitment: string;
  /** Ordered by x; commitment = hex SM3(salt ‖ "share" ‖ x ‖ y). */
  readonly holders: readonly { readonly x: number; readonly officer: string; readonly commitment: string }[];
  readonly createdAt: string;
}

/** One officer's share, in the written form they transcribe. Shown once, never stored. */
export interface IssuedShare {
  readonly officer: string;
  readonly x: number;
  readonly text: string;
}

export interface ActivationStatus {
  readonly state: 'locked' | 'active';
  readonly tokenLabel: string;
  readonly threshold: number;
  readonly holders: readonly string[];
  /** Officers whose shares are in while locked, in order of entry. */
  readonly entered: readonly string[];
  /** Officers whose shares activated signing (empty while locked). */
  readonly activatedBy: readonly string[];
}

/** The token's PINs, derived from the split secret. */
export function pinsFrom(secret: Uint8Array): { readonly userPin: string; readonly soPin: string } {
  const derive = (label: string) => toHex(sm3(utf8(label), secret));
  return { userPin: derive('tqca-hsm-user-pin'), soPin: derive('tqca-hsm-so-pin') };
}

/**
 * Draws the secret, splits it among `officers` (one share each, x = position + 1) and writes the
 * record to `recordPath` (exclusive: an existing record, whose shares are out there, is never
 * replaced). `initialise` then sets the token's PINs; when it fails the record is removed again.
 */
export function createQuorum<T>(
  request: { readonly recordPath: string; readonly tokenLabel: string; readonly k: number; readonly officers: readonly string[] },
  initialise: (pins: { readonly userPin: string; readonly soPin: string }) => Result<T>,
): Result<{ readonly initialised: T; readonly record: QuorumRecord; readonly shares: readonly IssuedShare[] }> {
  const { officers, k } = request;
  if (officers.length !== new Set(officers).size || officers.some((o) => o.length === 0)) {
    return err(HsmErrorCode.CONFIG_INVALID, 'the share holders must be distinct, non-empty officer names', { field: 'officers' });
  }
  const secret = new Uint8Array(randomBytes(SECRET_BYTES));
  try {
    const split = splitSecret(secret, k, officers.length);
    if (!split.ok) return split;
    const salt = new Uint8Array(randomBytes(SALT_BYTES));
    const record: QuorumRecord = {
      format: RECORD_FORMAT,
      tokenLabel: request.tokenLabel,
      k,
      n: officers.length,
      salt: toHex(salt),
      secretCommitment: toHex(commitSecret(salt, secret)),
      holders: split.value.map((share, i) => ({ x: share.x, officer: officers[i], commitment: toHex(commitShare(salt, share)) })),
      createdAt: new Date().toISOString(),
    };
    const written = writeRecord(request.recordPath, record);
    if (!written.ok) return written;
    const initialised = initialise(pinsFrom(secret));
    if (!initialised.ok) {
      unlinkSync(request.recordPath);
      return initialised;
    }
    const shares = split.value.map((share, i) => ({ officer: officers[i], x: share.x, text: encodeShare(share) }));
    for (const share of split.value) share.y.fill(0);
    return ok({ initialised: initialised.value, record, shares });
  } finally {
    secret.fill(0);
  }
}

export function readQuorumRecord(path: string, expected: { readonly tokenLabel: string; readonly k: number; readonly n: number }): Result<QuorumRecord> {
  let record: QuorumRecord;
  try {
    record = JSON.parse(readFileSync(path, 'utf8')) as QuorumRecord;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') {
      return err(HsmErrorCode.QUORUM_NOT_INITIALIZED, `no quorum record at ${path}: run tqca hsm init --officers … first`, { field: 'TQCA_HSM_QUORUM' });
    }
    return err(HsmErrorCode.CONFIG_INVALID, `cannot read the quorum record ${path}: ${(e as Error).message}`, { field: 'TQCA_HSM_QUORUM' });
  }
  const wellFormed =
    record?.format === RECORD_FORMAT &&
    Array.isArray(record.holders) &&
    record.holders.length === record.n &&
    record.holders.every((h, i) => h.x === i + 1 && typeof h.officer === 'string' && /^[0-9a-f]{64}$/.test(h.commitment)) &&
    /^[0-9a-f]{64}$/.test(record.secretCommitment) &&
    /^[0-9a-f]+$/.test(record.salt);
  if (!wellFormed) return err(HsmErrorCode.CONFIG_INVALID, `${path} is not a quorum record`, { field: 'TQCA_HSM_QUORUM' });
  if (record.tokenLabel !== expected.tokenLabel || record.k !== expected.k || record.n !== expected.n) {
    return err(
      HsmErrorCode.CONFIG_INVALID,
      `the quorum record is for token "${record.tokenLabel}" ${record.k}/${record.n}, the configuration says "${expected.tokenLabel}" ${expected.k}/${expected.n}`,
      { field: 'TQCA_HSM_QUORUM', details: { record: { tokenLabel: record.tokenLabel, k: record.k, n: record.n } } },
    );
  }
  return ok(record);
}

/**
 * The locked-until-K-officers front of the key manager. Until activation every KeyManager call
 * answers HSM_LOCKED; after it, calls go to the connection opened with the rebuilt PIN.
 */
export class QuorumGate implements KeyManager {
  private keys: KeyManager | null = null;
  private activatedBy: string[] = [];
  /** Shares entered while locked, by x. */
  private readonly pending = new Map<number, { readonly officer: string; readonly share: Share }>();
  /** Bumped by every lock: an activation that was logging in when a lock came is undone. */
  private epoch = 0;
  private activating: Promise<Result<ActivationStatus>> | null = null;
  private readonly salt: Uint8Array;

  constructor(
    private readonly record: QuorumRecord,
    private readonly connect: (pin: string) => Promise<Result<KeyManager>>,
  ) {
    this.salt = fromHex(record.salt);
  }

  status(): ActivationStatus {
    return {
      state: this.keys ? 'active' : 'locked',
      tokenLabel: this.record.tokenLabel,
      threshold: this.record.k,
      holders: this.record.holders.map((h) => h.officer),
      entered: [...this.pending.values()].map((p) => p.officer),
      activatedBy: [...this.activatedBy],
    };
  }

  /**
   * One officer's share (the caller has authenticated `officer`). Refused, naming the share, when
   * it is mistyped, not this officer's, or not the share the record committed to; the K-th one
   * logs in, and a failed login discards the entered shares.
   */
  async enterShare(officer: string, text: string): Promise<Result<ActivationStatus>> {
    if (this.keys) return err(HsmErrorCode.QUORUM_ACTIVE, 'signing is already activated', { field: 'share' });
    if (this.activating) await this.activating;
    const decoded = decodeShare(text);
    if (!decoded.ok) return { ok: false, error: { ...decoded.error, details: { ...decoded.error.details, officer } } };
    const share = decoded.value;
    const holder = this.record.holders.find((h) => h.x === share.x);
    const named = { officer, x: share.x };
    if (share.k !== this.record.k || !holder) {
      return err(HsmErrorCode.SHARE_WRONG, `share ${share.x} (threshold ${share.k}) is not from this token's ${this.record.k}-of-${this.record.n} split`, {
        field: 'share',
        details: named,
      });
    }
    if (holder.officer !== officer) {
      return err(HsmErrorCode.SHARE_NOT_HOLDER, `share ${share.x} was issued to ${holder.officer}, not ${officer}`, {
        field: 'share',
        details: { ...named, holder: holder.officer },
      });
    }
    if (!timingSafeEqual(commitShare(this.salt, share), fromHex(holder.commitment))) {
      return err(HsmErrorCode.SHARE_WRONG, `share ${share.x} of ${officer} is not the one issued (from another split, or altered)`, {
        field: 'share',
        details: named,
      });
    }
    if (this.pending.has(share.x)) {
      return err(HsmErrorCode.SHARE_DUPLICATE, `${officer} has entered share ${share.x} already`, { field: 'share', details: named });
    }
    if (this.keys) return err(HsmErrorCode.QUORUM_ACTIVE, 'signing is already activated', { field: 'share' });
    this.pending.set(share.x, { officer, share });
    if (this.pending.size < this.record.k) return ok(this.status());
    this.activating = this.activate().finally(() => (this.activating = null));
    return this.activating;
  }

  /** Locks at once: the next call answers HSM_LOCKED; then the sessions close and the token logs out. */
  async lock(): Promise<ActivationStatus> {
    const before = this.status();
    this.epoch++;
    this.discardPending();
    const keys = this.keys;
    this.keys = null;
    this.activatedBy = [];
    await keys?.close();
    return before;
  }

  private async activate(): Promise<Result<ActivationStatus>> {
    const entries = [...this.pending.values()];
    const officers = entries.map((e) => e.officer);
    const combined = combineShares(entries.map((e) => e.share));
    this.discardPending();
    if (!combined.ok) return combined;
    const secret = combined.value;
    try {
      if (!timingSafeEqual(commitSecret(this.salt, secret), fromHex(this.record.secretCommitment))) {
        return err(HsmErrorCode.SHARE_WRONG, 'the shares combine to a secret other than the one committed to: the quorum record was altered', {
          field: 'share',
          details: { officers },
        });
      }
      const epoch = this.epoch;
      const opened = await this.connect(pinsFrom(secret).userPin);
      if (!opened.ok) return opened;
      if (epoch !== this.epoch) {
        await opened.value.close();
        return err(HsmErrorCode.LOCKED, 'signing was locked while it was being activated', { details: { officers } });
      }
      this.keys = opened.value;
      this.activatedBy = officers;
      return ok(this.status());
    } finally {
      secret.fill(0);
    }
  }

  private discardPending(): void {
    for (const { share } of this.pending.values()) share.y.fill(0);
    this.pending.clear();
  }

  private get active(): Result<KeyManager> {
    if (this.keys) return ok(this.keys);
    return { ok: false, error: lockedError(this.record.k, this.pending.size) };
  }

  generateKey: KeyManager['generateKey'] = (request) => this.through((keys) => keys.generateKey(request));
  findKey: KeyManager['findKey'] = (selector) => this.through((keys) => keys.findKey(selector));
  listKeys: KeyManager['listKeys'] = () => this.through((keys) => keys.listKeys());
  publicKey: KeyManager['publicKey'] = (selector) => this.through((keys) => keys.publicKey(selector));
  sign: KeyManager['sign'] = (selector, message, options) => this.through((keys) => keys.sign(selector, message, options));
  destroyKey: KeyManager['destroyKey'] = (selector) => this.through((keys) => keys.destroyKey(selector));
  health: KeyManager['health'] = () => this.through((keys) => keys.health());

  async close(): Promise<void> {
    await this.lock();
  }

  private async through<T>(call: (keys: KeyManager) => Promise<Result<T>>): Promise<Result<T>> {
    const keys = this.active;
    return keys.ok ? call(keys.value) : keys;
  }
}

const lockedError = (k: number, entered: number): TqError => ({
  code: HsmErrorCode.LOCKED,
  message: `signing is locked: ${k} officers must enter their shares (${entered} entered)`,
  details: { threshold: k, entered },
});

const utf8 = (text: string) => new TextEncoder().encode(text);
/** Record fields were checked to be lowercase hex when the record was read. */
const fromHex = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const commitSecret = (salt: Uint8Array, secret: Uint8Array) => sm3(salt, utf8('secret'), secret);
const commitShare = (salt: Uint8Array, share: Share) => sm3(salt, utf8('share'), Uint8Array.of(share.x), share.y);

function writeRecord(path: string, record: QuorumRecord): Result<void> {
  // Written whole, then linked into place: never replaces a record whose shares have been handed out.
  const draft = `${path}.${process.pid}.${randomBytes(4).toString('hex')}`;
  try {
    writeFileSync(draft, `${JSON.stringify(record, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
    linkSync(draft, path);
    return ok(undefined);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') {
      return err(HsmErrorCode.QUORUM_EXISTS, `${path} exists: this token's PIN was split already`, { field: 'TQCA_HSM_QUORUM' });
    }
    return err(HsmErrorCode.CONFIG_INVALID, `cannot write the quorum record ${path}: ${(e as Error).message}`, { field: 'TQCA_HSM_QUORUM' });
  } finally {
    try {
      unlinkSync(draft);
    } catch {
      // Never created.
    }
  }
}
