/**
 * Token initialisation through PKCS#11 (C_InitToken, then C_InitPIN as security officer): what
 * `tqca hsm init` does for the embedded software token, and works on any module with a free
 * slot. Idempotent: a token already carrying the label is reported, and a token initialised
 * without a user PIN (an interrupted earlier run) gets its PIN.
 */
import pkcs11js from 'pkcs11js';
import { err, TqException, type Result } from '../lib/errors';
import { HsmErrorCode, hsmError, hsmFail, pkcs11Failure } from './errors';
import { ModuleContext } from './moduleContext';

export interface TokenInitRequest {
  readonly modulePath: string;
  readonly tokenLabel: string;
  readonly soPin: string;
  readonly userPin: string;
}

export interface TokenInitOutcome {
  /** `created`: a free slot was initialised now; `completed`: the token existed, its user PIN was set now. */
  readonly state: 'created' | 'completed' | 'exists';
  readonly tokenLabel: string;
  readonly serialNumber: string;
}

/** C_GetTokenInfo flags that tell an initialised token from a free slot. */
const { CKF_TOKEN_INITIALIZED, CKF_USER_PIN_INITIALIZED } = pkcs11js;

export function initToken(request: TokenInitRequest): Result<TokenInitOutcome> {
  if (request.tokenLabel.length === 0 || Buffer.byteLength(request.tokenLabel) > 32) {
    return err(HsmErrorCode.CONFIG_INVALID, 'a token label is 1 to 32 bytes', { field: 'tokenLabel' });
  }
  return ModuleContext.using(request.modulePath, `initialising token "${request.tokenLabel}"`, false, (context) =>
    initialise(context.pkcs11, request),
  );
}

function initialise(pkcs11: pkcs11js.PKCS11, request: TokenInitRequest): TokenInitOutcome {
  let found = findToken(pkcs11, request.tokenLabel);
  let state: TokenInitOutcome['state'] = 'exists';
  if (!found) {
    const free = pkcs11.C_GetSlotList(true).find((slot) => !(pkcs11.C_GetTokenInfo(slot).flags & CKF_TOKEN_INITIALIZED));
    if (!free) throw hsmFail(HsmErrorCode.TOKEN_NOT_FOUND, 'the module has no uninitialised slot for a new token');
    // The module reads exactly 32 blank-padded bytes; pkcs11js passes the string as given.
    pkcs11.C_InitToken(free, request.soPin, request.tokenLabel + ' '.repeat(32 - Buffer.byteLength(request.tokenLabel)));
    // Some modules (SoftHSM) renumber slots after C_InitToken: look the token up again by label.
    found = findToken(pkcs11, request.tokenLabel);
    if (!found) throw hsmFail(HsmErrorCode.TOKEN_NOT_FOUND, `C_InitToken succeeded but no token is labelled "${request.tokenLabel}"`);
    state = 'created';
  }
  if (!(found.info.flags & CKF_USER_PIN_INITIALIZED)) {
    setUserPin(pkcs11, found.slot, request);
    if (state === 'exists') state = 'completed';
  }
  return { state, tokenLabel: request.tokenLabel, serialNumber: found.info.serialNumber.trim() };
}

function findToken(pkcs11: pkcs11js.PKCS11, label: string): { slot: Buffer; info: pkcs11js.TokenInfo } | null {
  for (const slot of pkcs11.C_GetSlotList(true)) {
    const info = pkcs11.C_GetTokenInfo(slot);
    if (info.flags & CKF_TOKEN_INITIALIZED && info.label.trim() === label) return { slot, info };
  }
  return null;
}

function setUserPin(pkcs11: pkcs11js.PKCS11, slot: Buffer, request: TokenInitRequest): void {
  const session = pkcs11.C_OpenSession(slot, pkcs11js.CKF_SERIAL_SESSION | pkcs11js.CKF_RW_SESSION);
  try {
    try {
      pkcs11.C_Login(session, pkcs11js.CKU_SO, request.soPin);
    } catch (e) {
      if (pkcs11Failure(e)?.ckr !== 'CKR_USER_ALREADY_LOGGED_IN') {
        throw new TqException(hsmError(e, `logging in as security officer to "${request.tokenLabel}"`));
      }
    }
    pkcs11.C_InitPIN(session, request.userPin);
    pkcs11.C_Logout(session);
  } finally {
    pkcs11.C_CloseSession(session);
  }
}
