/**
 * HSM error codes and the mapping from PKCS#11 return values to them. Every error the HSM layer
 * reports is a TqError whose code names the cause; the PKCS#11 CKR name, when there is one,
 * travels in `details.ckr` so operators can match it against the vendor's manual.
 */
import { meaningsOf, TqException, type CodeOf, type ErrorCode, type TqError } from '../lib/errors';

/** The HSM_ codes of the registry by their short names: `HsmErrorCode.PIN_INCORRECT` is `'HSM_PIN_INCORRECT'`. */
export const HsmErrorCode = Object.fromEntries(
  (Object.keys(meaningsOf('hsm')) as CodeOf<'hsm'>[]).filter((code) => code.startsWith('HSM_')).map((code) => [code.slice('HSM_'.length), code]),
) as { readonly [C in CodeOf<'hsm'> as C extends `HSM_${infer Short}` ? Short : never]: C };

/** A PKCS#11 failure as pkcs11js reports it: `Pkcs11Error {message: 'CKR_…', code, method}`. */
export interface Pkcs11Failure {
  readonly ckr: string;
  readonly rv: number;
  readonly method: string;
}

export function pkcs11Failure(e: unknown): Pkcs11Failure | null {
  if (!(e instanceof Error)) return null;
  const m = /^(CKR_[A-Z0-9_]+)/.exec(e.message);
  if (!m) return null;
  const { code, method } = e as Error & { code?: unknown; method?: unknown };
  return { ckr: m[1], rv: typeof code === 'number' ? code : -1, method: typeof method === 'string' ? method : '' };
}

/**
 * Return values after which the context, sessions or handles can no longer be trusted, so the layer
 * re-initializes (close sessions, C_Finalize, C_Initialize, log in) and retries once. SoftHSM answers
 * a lost token with CKR_OBJECT_HANDLE_INVALID or CKR_GENERAL_ERROR; network HSMs with CKR_DEVICE_ERROR.
 */
const RECOVERABLE = new Set([
  'CKR_DEVICE_ERROR',
  'CKR_DEVICE_REMOVED',
  'CKR_DEVICE_MEMORY',
  'CKR_TOKEN_NOT_PRESENT',
  'CKR_TOKEN_NOT_RECOGNIZED',
  'CKR_SESSION_HANDLE_INVALID',
  'CKR_SESSION_CLOSED',
  'CKR_OBJECT_HANDLE_INVALID',
  'CKR_KEY_HANDLE_INVALID',
  'CKR_CRYPTOKI_NOT_INITIALIZED',
  'CKR_USER_NOT_LOGGED_IN',
  'CKR_GENERAL_ERROR',
  'CKR_FUNCTION_FAILED',
]);

export const isRecoverable = (f: Pkcs11Failure | null): boolean => f !== null && RECOVERABLE.has(f.ckr);

const BY_CKR: Record<string, { code: ErrorCode; message: string }> = {
  CKR_PIN_INCORRECT: { code: HsmErrorCode.PIN_INCORRECT, message: 'the token rejected the PIN' },
  CKR_PIN_INVALID: { code: HsmErrorCode.PIN_INCORRECT, message: 'the token rejected the PIN as malformed' },
  CKR_PIN_LEN_RANGE: { code: HsmErrorCode.PIN_INCORRECT, message: 'the PIN length is outside the token’s range' },
  CKR_PIN_LOCKED: { code: HsmErrorCode.PIN_LOCKED, message: 'the user PIN is locked; the security officer must reset it' },
  CKR_USER_PIN_NOT_INITIALIZED: { code: HsmErrorCode.TOKEN_NOT_INITIALIZED, message: 'the token has no user PIN yet' },
  CKR_MECHANISM_INVALID: { code: HsmErrorCode.MECHANISM_MISSING, message: 'the token does not support the mechanism' },
  CKR_MECHANISM_PARAM_INVALID: { code: HsmErrorCode.MECHANISM_MISSING, message: 'the token rejected the mechanism parameter' },
  CKR_KEY_TYPE_INCONSISTENT: { code: HsmErrorCode.KEY_INVALID, message: 'the key type does not fit the mechanism' },
  CKR_KEY_FUNCTION_NOT_PERMITTED: { code: HsmErrorCode.KEY_INVALID, message: 'the key may not be used for this operation' },
  CKR_TEMPLATE_INCONSISTENT: { code: HsmErrorCode.PROFILE_INVALID, message: 'the token rejected the profile’s key template' },
  CKR_TEMPLATE_INCOMPLETE: { code: HsmErrorCode.PROFILE_INVALID, message: 'the token finds the profile’s key template incomplete' },
  CKR_ATTRIBUTE_VALUE_INVALID: { code: HsmErrorCode.PROFILE_INVALID, message: 'the token rejected an attribute of the key template' },
  CKR_DOMAIN_PARAMS_INVALID: { code: HsmErrorCode.PROFILE_INVALID, message: 'the token rejected the profile’s curve parameters' },
  CKR_CURVE_NOT_SUPPORTED: { code: HsmErrorCode.PROFILE_INVALID, message: 'the token does not support the profile’s curve' },
};

/** Maps a thrown value from pkcs11js to a TqError; `context` says what the layer was doing. */
export function hsmError(e: unknown, context: string, details: Record<string, unknown> = {}): TqError {
  if (e instanceof TqException) return e.error;
  const f = pkcs11Failure(e);
  if (!f) {
    const message = e instanceof Error ? e.message : String(e);
    return { code: HsmErrorCode.OPERATION_FAILED, message: `${context}: ${message}`, details };
  }
  const known = BY_CKR[f.ckr];
  const code = known?.code ?? (isRecoverable(f) ? HsmErrorCode.DEVICE_ERROR : HsmErrorCode.OPERATION_FAILED);
  const message = `${context}: ${known?.message ?? `the module answered ${f.ckr}`}`;
  return { code, message, details: { ...details, ckr: f.ckr, rv: f.rv, method: f.method } };
}

export const hsmFail = (code: ErrorCode, message: string, details?: Record<string, unknown>): TqException =>
  new TqException({ code, message, ...(details ? { details } : {}) });
