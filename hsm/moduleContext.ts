/**
 * One loaded PKCS#11 library per path per process, initialized once with CKF_OS_LOCKING_OK
 * (pkcs11js's async calls run on libuv threads; flags 0 would tell the module there are none).
 * Connections to tokens of the same library share it and count references; the last one to
 * close finalizes. Re-initialization after a device error is generation-checked, so a burst of
 * failures from many callers finalizes the library once.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import pkcs11js from 'pkcs11js';
import { ok, TqException, type Result } from '../lib/errors';
import { HsmErrorCode, hsmError, hsmFail, pkcs11Failure } from './errors';

const contexts = new Map<string, ModuleContext>();

export class ModuleContext {
  /** Bumped on every re-initialization: sessions and object handles from older generations are dead. */
  generation = 0;
  private references = 0;
  /** SHA-256 of the PIN each token was logged in with, by token label: login is per token, not per connection. */
  private readonly logins = new Map<string, Buffer>();

  private constructor(
    readonly path: string,
    readonly pkcs11: pkcs11js.PKCS11,
  ) {}

  /** The process's context for the library at `path`, loaded and initialized on first use. Throws TqException. */
  static open(modulePath: string): ModuleContext {
    const path = isAbsolute(modulePath) ? modulePath : resolve(modulePath);
    let context = contexts.get(path);
    if (!context) {
      if (!existsSync(path)) throw hsmFail(HsmErrorCode.MODULE_NOT_FOUND, `no PKCS#11 module at ${path}`, { modulePath: path });
      const pkcs11 = new pkcs11js.PKCS11();
      try {
        pkcs11.load(path);
      } catch (e) {
        throw hsmFail(HsmErrorCode.MODULE_NOT_FOUND, `cannot load the PKCS#11 module ${path}: ${(e as Error).message}`, { modulePath: path });
      }
      context = new ModuleContext(path, pkcs11);
      try {
        context.initialize();
      } catch (e) {
        pkcs11.close();
        throw e;
      }
      contexts.set(path, context);
    }
    context.references++;
    return context;
  }

  /**
   * Runs `setUp` on the library's context as a Result. The reference is kept only when `hold`
   * is set and `setUp` succeeded (a connection that lives on); otherwise it is released again.
   */
  static using<T>(modulePath: string, what: string, hold: boolean, setUp: (context: ModuleContext) => T): Result<T> {
    let context: ModuleContext;
    try {
      context = ModuleContext.open(modulePath);
    } catch (e) {
      return { ok: false, error: hsmError(e, 'loading the PKCS#11 module') };
    }
    try {
      const value = setUp(context);
      if (!hold) context.release();
      return ok(value);
    } catch (e) {
      context.release();
      return { ok: false, error: hsmError(e, what) };
    }
  }

  /** Other connections in this process use the library too (login and logout are per token, not per connection). */
  get shared(): boolean {
    return this.references > 1;
  }

  /** Drops one reference; the last one finalizes and unloads the library. */
  release(): void {
    if (--this.references > 0) return;
    contexts.delete(this.path);
    this.finalize();
    this.pkcs11.close();
  }

  /**
   * C_Finalize + C_Initialize, unless another caller already did so since `seenGeneration`.
   * Every session of every connection on this library is gone afterwards.
   */
  reinitialize(seenGeneration: number): void {
    if (this.generation !== seenGeneration) return;
    this.finalize();
    this.initialize();
    this.generation++;
  }

  /**
   * Logs the user in to a token once per context. A later connection to the same token is already
   * logged in (the token answers CKR_USER_ALREADY_LOGGED_IN without checking its PIN), so its PIN
   * is compared with the one that logged in: a wrong PIN never rides on someone else's login.
   */
  login(session: pkcs11js.Handle, tokenLabel: string, pin: string): void {
    const digest = createHash('sha256').update(pin).digest();
    const held = this.logins.get(tokenLabel);
    if (held) {
      if (timingSafeEqual(held, digest)) return;
      throw hsmFail(HsmErrorCode.PIN_INCORRECT, `the PIN differs from the one this process logged in to "${tokenLabel}" with`, { tokenLabel });
    }
    try {
      this.pkcs11.C_Login(session, pkcs11js.CKU_USER, pin);
    } catch (e) {
      if (pkcs11Failure(e)?.ckr !== 'CKR_USER_ALREADY_LOGGED_IN') {
        throw new TqException(hsmError(e, `logging in to token "${tokenLabel}"`, { tokenLabel }));
      }
    }
    this.logins.set(tokenLabel, digest);
  }

  /** After C_Logout: the next connection logs in again. */
  loggedOut(tokenLabel: string): void {
    this.logins.delete(tokenLabel);
  }

  private initialize(): void {
    try {
      this.pkcs11.C_Initialize({ flags: pkcs11js.CKF_OS_LOCKING_OK });
    } catch (e) {
      if (pkcs11Failure(e)?.ckr === 'CKR_CRYPTOKI_ALREADY_INITIALIZED') return;
      throw new TqException(hsmError(e, `C_Initialize of ${this.path}`, { modulePath: this.path }));
    }
  }

  private finalize(): void {
    this.logins.clear();
    try {
      this.pkcs11.C_Finalize();
    } catch {
      // Finalizing a module that already lost its device: nothing left to release.
    }
  }
}
