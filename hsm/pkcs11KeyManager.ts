/**
 * The KeyManager over a PKCS#11 token (pkcs11js): one login per token, a pool of sessions for
 * signing, key handles cached per context generation, host-side Z/e and verification, and
 * reconnection without a restart. Vendor differences live in the profile (hsm/profiles/*.json).
 *
 * Host verification: one HostKey (prepared SM2 verifier) per public key, shared by every selector
 * that names the key and kept across reconnects: it depends on the point alone, and the point is
 * read from the token again whenever a handle is. A key recreated under the same label has another
 * point, so another verifier; destroying a key drops its verifier; at most HOST_KEYS are kept.
 *
 * Sessions: an "anchor" session holds the login (a token logs out when its last session closes)
 * and serves the synchronous calls (find, attributes, login); pooled sessions run the async signs,
 * one operation each; key generation and deletion open a short-lived read-write session.
 *
 * Recovery: a return value that means the device, the context or our handles went away
 * (errors.ts: isRecoverable) or a signature that fails host verification makes the failing call
 * trigger one reconnect (drain the pool, close sessions, C_Finalize, C_Initialize, find the token,
 * log in) and retry once after a backoff. Concurrent callers wait for the same reconnect.
 */
import { randomBytes } from 'node:crypto';
import pkcs11js from 'pkcs11js';
import { equal, toHex } from '../lib/bytes';
import { DEFAULT_SIGNER_ID, signatureFromDer } from '../lib/crypto/sm2';
import { err, ok, TqException, type Result } from '../lib/errors';
import { ecPointXy, hostKey, type HostKey } from './algorithms';
import { HsmErrorCode, hsmError, hsmFail, isRecoverable, pkcs11Failure } from './errors';
import type { GenerateKeyRequest, HealthReport, KeyInfo, KeyManager, KeySelector, MechanismStatus, SignOptions } from './keyManager';
import { ModuleContext } from './moduleContext';
import { hexCode, type SignMechanism, type VendorProfile } from './profile';
import { SessionPool } from './sessionPool';
import { threadPoolSize } from './threadPool';

type Handle = Buffer;

export interface Pkcs11Options {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly pin: string;
  readonly profile: VendorProfile;
  /** Sessions for concurrent signing; default 8. Keep UV_THREADPOOL_SIZE at least this large. */
  readonly poolSize?: number;
  /** How long a caller waits for a free session; default 10 s. */
  readonly acquireTimeoutMs?: number;
  /** Pause before the one retry after a reconnect; default 100 ms. */
  readonly retryBackoffMs?: number;
  /** Label (and CKA_ID) of the health canary key; default `tqca-canary`. */
  readonly canaryLabel?: string;
}

interface LoadedKey {
  readonly info: KeyInfo;
  readonly handle: Handle;
}

const SIGN_OUTPUT_BYTES = 256;
/** Prepared verifiers kept (about 0.6 MB each): roots and canaries are few; an evicted one is rebuilt in ~30 ms. */
const HOST_KEYS = 16;
/** Host-side digest first: Z stays under our control; device hashing is the fallback. */
const INPUT_PREFERENCE = { digest: 0, 'message-with-id': 1, message: 2 } as const;

export async function openPkcs11KeyManager(options: Pkcs11Options): Promise<Result<KeyManager>> {
  const poolSize = options.poolSize ?? 8;
  if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 256) {
    return err(HsmErrorCode.CONFIG_INVALID, 'pool size must be an integer from 1 to 256', { field: 'poolSize' });
  }
  warnIfThreadPoolSmall(poolSize);
  return ModuleContext.using<KeyManager>(options.modulePath, 'opening the token', true, (context) => new Pkcs11KeyManager(context, options, poolSize));
}

let warnedThreadPool = false;

function warnIfThreadPoolSmall(poolSize: number): void {
  const threads = threadPoolSize();
  if (threads < poolSize && !warnedThreadPool) {
    warnedThreadPool = true;
    process.emitWarning(
      `UV_THREADPOOL_SIZE is ${threads}, below the HSM session pool size ${poolSize}: async PKCS#11 calls will queue. ` +
        'Set it in the environment the process starts with (hsm/threadPool.ts).',
      { code: 'TQCA_UV_THREADPOOL' },
    );
  }
}

class Pkcs11KeyManager implements KeyManager {
  private readonly pkcs11: pkcs11js.PKCS11;
  private readonly profile: VendorProfile;
  private readonly pool: SessionPool<Handle>;
  private readonly mechanisms: MechanismStatus[];
  private readonly signMechanisms: SignMechanism[];
  private readonly keys = new Map<string, LoadedKey>();
  /** By public key (hex X ‖ Y), least recently used first. */
  private readonly hostKeys = new Map<string, HostKey>();
  /** Every KeyManager call under way: close waits for them. */
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly readWriteInFlight = new Set<Promise<unknown>>();
  private readonly retryBackoffMs: number;
  private readonly canaryLabel: string;
  private slot: Handle;
  private anchor: Handle;
  /** Our connection generation: bumped by every reconnect; handles from older ones are dead. */
  private generation = 0;
  private reconnects = 0;
  private contextGeneration: number;
  private reconnecting: Promise<void> | null = null;
  private broken = false;
  private closed = false;

  constructor(
    private readonly context: ModuleContext,
    private readonly options: Pkcs11Options,
    poolSize: number,
  ) {
    this.pkcs11 = context.pkcs11;
    this.profile = options.profile;
    this.retryBackoffMs = options.retryBackoffMs ?? 100;
    this.canaryLabel = options.canaryLabel ?? 'tqca-canary';
    this.contextGeneration = context.generation;
    this.slot = this.findSlot();
    ({ mechanisms: this.mechanisms, sign: this.signMechanisms } = this.checkMechanisms());
    this.anchor = this.openLoggedInSession();
    this.pool = new SessionPool<Handle>({
      size: poolSize,
      acquireTimeoutMs: options.acquireTimeoutMs ?? 10_000,
      open: () => this.pkcs11.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION),
      close: (session) => this.closeSession(session),
    });
  }

  // ---- KeyManager ----

  generateKey(request: GenerateKeyRequest): Promise<Result<KeyInfo>> {
    return this.result('generating a key', async () => {
      if (request.algorithm !== this.profile.algorithm) {
        throw hsmFail(HsmErrorCode.ALGORITHM_UNSUPPORTED, `profile ${this.profile.name} generates ${this.profile.algorithm} keys, not ${request.algorithm}`, {
          profile: this.profile.name,
        });
      }
      const id = request.id ?? new Uint8Array(randomBytes(16));
      checkSelector({ label: request.label });
      checkSelector({ id });
      // Key generation is not idempotent: after a device error the connection is rebuilt but the call is not repeated.
      return this.withRecovery(false, async () => {
        if (this.findObjects([{ type: pkcs11js.CKA_ID, value: Buffer.from(id) }]).length > 0) {
          throw hsmFail(HsmErrorCode.KEY_EXISTS, `a key with CKA_ID ${toHex(id)} already exists`, { id: toHex(id) });
        }
        if (this.findObjects([{ type: pkcs11js.CKA_LABEL, value: request.label }]).length > 0) {
          throw hsmFail(HsmErrorCode.KEY_EXISTS, `a key labelled "${request.label}" already exists`, { label: request.label });
        }
        const common = [
          { type: pkcs11js.CKA_KEY_TYPE, value: this.profile.keyType },
          { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
          { type: pkcs11js.CKA_LABEL, value: request.label },
        ];
        await this.withReadWriteSession((session) =>
          this.pkcs11.C_GenerateKeyPairAsync(
            session,
            { mechanism: this.profile.keyPairGen.code },
            [
              { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
              ...common,
              { type: pkcs11js.CKA_EC_PARAMS, value: Buffer.from(this.profile.ecParams) },
              ...this.profile.publicKeyTemplate,
            ],
            [{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, ...common, ...this.profile.privateKeyTemplate],
          ),
        );
        return this.loadKey({ id }).info;
      });
    });
  }

  findKey(selector: KeySelector): Promise<Result<KeyInfo>> {
    return this.result('finding a key', () => this.withRecovery(true, async () => this.loadKey(selector).info));
  }

  publicKey(selector: KeySelector): Promise<Result<Uint8Array>> {
    return this.result('reading a public key', () => this.withRecovery(true, async () => this.loadKey(selector).info.publicKey));
  }

  listKeys(): Promise<Result<KeyInfo[]>> {
    return this.result('listing keys', () =>
      this.withRecovery(true, async () =>
        this.findObjects([
          { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY },
          { type: pkcs11js.CKA_KEY_TYPE, value: this.profile.keyType },
        ]).map((handle) => this.describeKey(handle, `object ${handle.toString('hex')}`).info),
      ),
    );
  }

  sign(selector: KeySelector, message: Uint8Array, options: SignOptions = {}): Promise<Result<Uint8Array>> {
    return this.result('signing', async () => {
      if (!(message instanceof Uint8Array)) throw hsmFail(HsmErrorCode.CONFIG_INVALID, 'the message must be bytes');
      if (options.signerId !== undefined && this.profile.algorithm !== 'sm2') {
        throw hsmFail(HsmErrorCode.ALGORITHM_UNSUPPORTED, 'only SM2 signatures take a signer ID');
      }
      const mechanism = this.mechanismFor(options.signerId);
      return this.withRecovery(true, () => this.signOnce(selector, message, mechanism, options.signerId));
    });
  }

  destroyKey(selector: KeySelector): Promise<Result<void>> {
    return this.result('destroying a key', () =>
      this.withRecovery(true, async () => {
        const key = this.loadKey(selector);
        // The key pair only: other objects sharing the CKA_ID (a stored certificate) are not ours to delete.
        const objects = [pkcs11js.CKO_PRIVATE_KEY, pkcs11js.CKO_PUBLIC_KEY].flatMap((objectClass) =>
          this.findObjects([
            { type: pkcs11js.CKA_CLASS, value: objectClass },
            { type: pkcs11js.CKA_ID, value: Buffer.from(key.info.id) },
          ]),
        );
        await this.withReadWriteSession(async (session) => {
          for (const handle of objects) this.pkcs11.C_DestroyObject(session, handle);
        });
        this.keys.clear();
        this.hostKeys.delete(toHex(key.info.publicKey));
      }),
    );
  }

  health(): Promise<Result<HealthReport>> {
    return this.result('health check', async () => {
      const canary = { label: this.canaryLabel, id: new TextEncoder().encode(this.canaryLabel) };
      const found = await this.findKey({ id: canary.id });
      if (!found.ok) {
        if (found.error.code !== HsmErrorCode.KEY_NOT_FOUND) throw new TqException(found.error);
        const generated = await this.generateKey({ ...canary, algorithm: this.profile.algorithm });
        if (!generated.ok) throw new TqException(generated.error);
      }
      const started = performance.now();
      const signature = await this.sign({ id: canary.id }, new Uint8Array(randomBytes(32)));
      const latencyMs = performance.now() - started;
      if (!signature.ok) throw new TqException(signature.error);
      const info = this.pkcs11.C_GetInfo();
      const token = this.pkcs11.C_GetTokenInfo(this.slot);
      const version = (v: { major: number; minor: number }) => `${v.major}.${v.minor}`;
      return {
        module: {
          path: this.context.path,
          manufacturer: info.manufacturerID.trim(),
          description: info.libraryDescription.trim(),
          libraryVersion: version(info.libraryVersion),
          cryptokiVersion: version(info.cryptokiVersion),
        },
        token: {
          label: token.label.trim(),
          manufacturer: token.manufacturerID.trim(),
          model: token.model.trim(),
          serialNumber: token.serialNumber.trim(),
        },
        profile: this.profile.name,
        algorithm: this.profile.algorithm,
        mechanisms: this.mechanisms,
        sessions: { size: this.pool.size, open: this.pool.open, inUse: this.pool.inUse },
        reconnects: this.reconnects,
        canary: { label: this.canaryLabel, latencyMs: Math.round(latencyMs * 1000) / 1000 },
      };
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Calls under way finish first: their sessions, login and module stay until then (a reconnect
    // runs inside one of them). A key generation would otherwise lose its anchor session and be
    // reported failed although the token made the key.
    await Promise.all(this.inFlight);
    await this.pool.close();
    // C_Logout logs out every session of the token in this process, other connections' too.
    if (!this.context.shared) {
      try {
        this.pkcs11.C_Logout(this.anchor);
        this.context.loggedOut(this.options.tokenLabel);
      } catch {
        // Not logged in any more (device lost): nothing to undo.
      }
    }
    this.closeSession(this.anchor);
    this.keys.clear();
    this.hostKeys.clear();
    this.context.release();
  }

  // ---- signing ----

  private mechanismFor(signerId: Uint8Array | undefined): SignMechanism {
    const defaultId = signerId === undefined || equal(signerId, DEFAULT_SIGNER_ID);
    // `message` mechanisms take no ID: for SM2 they hash with the fixed default ID only.
    const usable = this.signMechanisms.find((m) => m.input !== 'message' || this.profile.algorithm !== 'sm2' || defaultId);
    if (!usable) {
      throw hsmFail(HsmErrorCode.MECHANISM_MISSING, `profile ${this.profile.name}: no mechanism on this token signs with a custom signer ID`, {
        profile: this.profile.name,
      });
    }
    return usable;
  }

  private async signOnce(selector: KeySelector, message: Uint8Array, mechanism: SignMechanism, signerId?: Uint8Array): Promise<Uint8Array> {
    this.loadKey(selector); // an unknown key fails here, before taking a session from other signers
    const lease = await this.pool.acquire();
    // Resolved again under the lease: a reconnect while this call waited for a session replaced every
    // handle, and a reconnect replaces none while this lease is out.
    let key: LoadedKey;
    try {
      key = this.loadKey(selector);
    } catch (e) {
      this.pool.release(lease);
      throw e;
    }
    const host = this.hostKey(key.info);
    const digest = host.digest(message, signerId);
    const input = mechanism.input === 'digest' ? digest : message;
    const parameter = mechanism.input === 'message-with-id' ? Buffer.from(signerId ?? DEFAULT_SIGNER_ID) : undefined;
    let output: Buffer;
    try {
      this.pkcs11.C_SignInit(lease.session, parameter ? { mechanism: mechanism.code, parameter } : { mechanism: mechanism.code }, key.handle);
      output = await this.pkcs11.C_SignAsync(lease.session, Buffer.from(input), Buffer.alloc(SIGN_OUTPUT_BYTES));
    } catch (e) {
      // The session may still hold an active operation (e.g. after CKR_BUFFER_TOO_SMALL): never reuse it.
      this.pool.release(lease, true);
      throw e;
    }
    this.pool.release(lease);
    const signature = this.normalise(output, mechanism);
    // No caller ever gets a signature the host cannot verify (a faulty device, a wrong mechanism).
    if (!host.verifyDigest(digest, message, signature)) {
      throw hsmFail(HsmErrorCode.SIGNATURE_INVALID, `the token returned a signature that does not verify (${mechanism.name})`, {
        mechanism: hexCode(mechanism.code),
        profile: this.profile.name,
      });
    }
    return signature;
  }

  private normalise(output: Buffer, mechanism: SignMechanism): Uint8Array {
    const bytes = new Uint8Array(output);
    if (mechanism.output === 'raw') {
      if (bytes.length === 64) return bytes;
      throw hsmFail(HsmErrorCode.SIGNATURE_INVALID, `${mechanism.name} returned ${bytes.length} bytes, not r ‖ s (64)`, {
        mechanism: hexCode(mechanism.code),
        length: bytes.length,
      });
    }
    const parsed = signatureFromDer(bytes);
    if (parsed.ok) return parsed.value;
    throw hsmFail(HsmErrorCode.SIGNATURE_INVALID, `${mechanism.name} returned malformed DER: ${parsed.error.message}`, {
      mechanism: hexCode(mechanism.code),
      offset: parsed.error.offset,
    });
  }

  // ---- keys ----

  private loadKey(selector: KeySelector): LoadedKey {
    checkSelector(selector);
    const cacheKey = 'id' in selector ? `id:${toHex(selector.id)}` : `label:${selector.label}`;
    const cached = this.keys.get(cacheKey);
    if (cached) return cached;
    const attribute = 'id' in selector ? { type: pkcs11js.CKA_ID, value: Buffer.from(selector.id) } : { type: pkcs11js.CKA_LABEL, value: selector.label };
    const named = 'id' in selector ? `CKA_ID ${toHex(selector.id)}` : `label "${selector.label}"`;
    const privates = this.findObjects([{ type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PRIVATE_KEY }, attribute]);
    if (privates.length === 0) throw hsmFail(HsmErrorCode.KEY_NOT_FOUND, `no private key with ${named} on the token`, { selector: named });
    if (privates.length > 1) throw hsmFail(HsmErrorCode.KEY_AMBIGUOUS, `${privates.length} private keys match ${named}`, { selector: named });
    const loaded = this.describeKey(privates[0], named);
    this.keys.set(cacheKey, loaded);
    return loaded;
  }

  /** The key's verifier, shared by every selector and handle of the same public key. */
  private hostKey(info: KeyInfo): HostKey {
    const point = toHex(info.publicKey);
    let host = this.hostKeys.get(point);
    if (host) {
      this.hostKeys.delete(point); // re-inserted as the most recently used
    } else {
      const made = hostKey(this.profile.algorithm, info.publicKey);
      if (!made.ok) throw new TqException(made.error);
      host = made.value;
      if (this.hostKeys.size >= HOST_KEYS) this.hostKeys.delete(this.hostKeys.keys().next().value!);
    }
    this.hostKeys.set(point, host);
    return host;
  }

  /** Reads a private key's attributes and checks its public point. */
  private describeKey(handle: Handle, named: string): LoadedKey {
    const { id, label, keyType } = this.readAttributes(handle);
    if (keyType !== this.profile.keyType) {
      throw hsmFail(HsmErrorCode.KEY_INVALID, `key ${named} has key type ${hexCode(keyType)}; profile ${this.profile.name} uses ${hexCode(this.profile.keyType)}`, {
        selector: named,
      });
    }
    const xy = ecPointXy(this.readEcPoint(handle, id, named));
    if (!xy.ok) throw new TqException(xy.error);
    const host = hostKey(this.profile.algorithm, xy.value);
    if (!host.ok) throw new TqException(host.error);
    return { info: { label, id, algorithm: this.profile.algorithm, publicKey: host.value.xy }, handle };
  }

  private readAttributes(handle: Handle): { id: Uint8Array; label: string; keyType: number } {
    const [id, label, keyType] = this.pkcs11.C_GetAttributeValue(this.anchor, handle, [
      { type: pkcs11js.CKA_ID },
      { type: pkcs11js.CKA_LABEL },
      { type: pkcs11js.CKA_KEY_TYPE },
    ]);
    // Numeric attributes come back as CK_ULONG in host order (8 bytes little-endian here).
    return { id: new Uint8Array(id.value), label: label.value.toString('utf8'), keyType: keyType.value.readUInt32LE(0) };
  }

  /** From the public-key object with the same CKA_ID; some tokens (TASS) put it on the private key. */
  private readEcPoint(privateHandle: Handle, id: Uint8Array, named: string): Uint8Array {
    const publics = this.findObjects([
      { type: pkcs11js.CKA_CLASS, value: pkcs11js.CKO_PUBLIC_KEY },
      { type: pkcs11js.CKA_ID, value: Buffer.from(id) },
    ]);
    const holder = publics[0] ?? privateHandle;
    try {
      const [point] = this.pkcs11.C_GetAttributeValue(this.anchor, holder, [{ type: pkcs11js.CKA_EC_POINT }]);
      return new Uint8Array(point.value);
    } catch (e) {
      if (pkcs11Failure(e)?.ckr !== 'CKR_ATTRIBUTE_TYPE_INVALID') throw e;
      throw hsmFail(HsmErrorCode.KEY_INVALID, `key ${named} has no public-key object with its CKA_ID`, { selector: named });
    }
  }

  private findObjects(template: pkcs11js.Template): Handle[] {
    this.pkcs11.C_FindObjectsInit(this.anchor, template);
    const found: Handle[] = [];
    try {
      for (;;) {
        const batch = this.pkcs11.C_FindObjects(this.anchor, 64);
        if (batch.length === 0) return found;
        found.push(...batch);
      }
    } finally {
      this.pkcs11.C_FindObjectsFinal(this.anchor);
    }
  }

  /** Key generation and deletion; a reconnect waits for these as for pooled signs. */
  private async withReadWriteSession<T>(op: (session: Handle) => Promise<T>): Promise<T> {
    const session = this.pkcs11.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
    const running = (async () => op(session))();
    this.readWriteInFlight.add(running);
    try {
      return await running;
    } finally {
      this.readWriteInFlight.delete(running);
      this.closeSession(session);
    }
  }

  // ---- token, login, mechanisms ----

  private findSlot(): Handle {
    const available: string[] = [];
    for (const slot of this.pkcs11.C_GetSlotList(true)) {
      const token = this.pkcs11.C_GetTokenInfo(slot);
      const label = token.label.trim();
      available.push(label);
      if (label !== this.options.tokenLabel) continue;
      if (!(token.flags & pkcs11js.CKF_USER_PIN_INITIALIZED)) {
        throw hsmFail(HsmErrorCode.TOKEN_NOT_INITIALIZED, `token "${label}" has no user PIN yet`, { tokenLabel: label });
      }
      return slot;
    }
    throw hsmFail(HsmErrorCode.TOKEN_NOT_FOUND, `no token labelled "${this.options.tokenLabel}" in ${this.context.path}`, {
      tokenLabel: this.options.tokenLabel,
      available,
      modulePath: this.context.path,
    });
  }

  /** Refuses a token that lacks the profile's key generation or every one of its signing mechanisms. */
  private checkMechanisms(): { mechanisms: MechanismStatus[]; sign: SignMechanism[] } {
    const present = new Set(this.pkcs11.C_GetMechanismList(this.slot).map((m) => m >>> 0));
    const sign = [...this.profile.sign]
      .filter((m) => present.has(m.code))
      .sort((a, b) => INPUT_PREFERENCE[a.input] - INPUT_PREFERENCE[b.input]);
    const gen = this.profile.keyPairGen;
    const mechanisms: MechanismStatus[] = [
      { role: 'keyPairGen', name: gen.name, code: hexCode(gen.code), present: present.has(gen.code) },
      ...this.profile.sign.map((m) => ({
        role: 'sign' as const,
        name: m.name,
        code: hexCode(m.code),
        present: present.has(m.code),
        selected: m === sign[0],
      })),
    ];
    const missing = [...(present.has(gen.code) ? [] : [gen]), ...(sign.length > 0 ? [] : this.profile.sign)];
    if (missing.length > 0) {
      const names = missing.map((m) => `${m.name} (${hexCode(m.code)})`).join(', ');
      throw hsmFail(HsmErrorCode.MECHANISM_MISSING, `token "${this.options.tokenLabel}" lacks ${names} required by profile ${this.profile.name}`, {
        profile: this.profile.name,
        missing: missing.map((m) => ({ name: m.name, code: hexCode(m.code) })),
        mechanisms,
      });
    }
    return { mechanisms, sign };
  }

  private openLoggedInSession(): Handle {
    const session = this.pkcs11.C_OpenSession(this.slot, pkcs11js.CKF_SERIAL_SESSION);
    try {
      this.context.login(session, this.options.tokenLabel, this.options.pin);
    } catch (e) {
      this.closeSession(session);
      throw e;
    }
    return session;
  }

  private closeSession(session: Handle): void {
    try {
      this.pkcs11.C_CloseSession(session);
    } catch {
      // Already gone with its context or device.
    }
  }

  // ---- recovery ----

  private result<T>(context: string, op: () => Promise<T>): Promise<Result<T>> {
    if (this.closed) return Promise.resolve(err(HsmErrorCode.CLOSED, 'the HSM connection is closed'));
    const running = (async (): Promise<Result<T>> => {
      try {
        return ok(await op());
      } catch (e) {
        return { ok: false, error: hsmError(e, context, { tokenLabel: this.options.tokenLabel, profile: this.profile.name }) };
      }
    })();
    this.inFlight.add(running);
    void running.then(() => this.inFlight.delete(running));
    return running;
  }

  /** Runs `op`; after a device fault reconnects and, when `retry`, runs it once more after a backoff. */
  private async withRecovery<T>(retry: boolean, op: () => Promise<T>): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      if (this.reconnecting) await this.reconnecting;
      if (this.broken) await this.reconnect(this.generation);
      const generation = this.generation;
      try {
        return await op();
      } catch (e) {
        if (!isDeviceFault(e) || this.closed) throw e;
        await sleep(this.retryBackoffMs);
        await this.reconnect(generation);
        if (!retry || attempt > 0) throw e;
      }
    }
  }

  /** Single-flight: the first caller to see a fault at `seenGeneration` reconnects, the rest wait for it. */
  private reconnect(seenGeneration: number): Promise<void> {
    if (this.reconnecting) return this.reconnecting;
    if (seenGeneration !== this.generation) return Promise.resolve();
    this.reconnecting = this.rebuild().finally(() => (this.reconnecting = null));
    return this.reconnecting;
  }

  private async rebuild(): Promise<void> {
    // Calls still running on libuv threads finish (or fail) before the module is finalized under them.
    await Promise.all([this.pool.suspend(), Promise.allSettled(this.readWriteInFlight)]);
    try {
      this.pool.invalidate();
      this.closeSession(this.anchor);
      this.keys.clear();
      this.context.reinitialize(this.contextGeneration);
      this.contextGeneration = this.context.generation;
      this.slot = this.findSlot();
      this.anchor = this.openLoggedInSession();
      this.broken = false;
      this.reconnects++;
    } catch (e) {
      this.broken = true;
      throw e;
    } finally {
      this.generation++;
      this.pool.resume();
    }
  }
}

function isDeviceFault(e: unknown): boolean {
  if (e instanceof TqException) return e.error.code === HsmErrorCode.SIGNATURE_INVALID;
  return isRecoverable(pkcs11Failure(e));
}

function checkSelector(selector: KeySelector): void {
  if ('id' in selector) {
    if (!(selector.id instanceof Uint8Array) || selector.id.length === 0) throw hsmFail(HsmErrorCode.CONFIG_INVALID, 'a key ID is non-empty bytes');
  } else if (typeof selector.label !== 'string' || selector.label.length === 0) {
    throw hsmFail(HsmErrorCode.CONFIG_INVALID, 'a key label is a non-empty string');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
