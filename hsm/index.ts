/**
 * The HSM layer's front door: open the key manager a configuration names (hsm/config.ts), the
 * embedded software token being created on first use. Callers see KeyManager and TqErrors only.
 */
import { existsSync } from 'node:fs';
import { err, ok, type Result } from '../lib/errors';
import type { HsmConfig, QuorumPolicy } from './config';
import type { KeyManager } from './keyManager';
import { HsmErrorCode } from './errors';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { createQuorum, QuorumGate, readQuorumRecord, type IssuedShare, type QuorumRecord } from './quorum';
import { initToken, type TokenInitOutcome } from './tokenInit';

export { resolveHsmConfig, signingPosture, type HsmConfig, type PinSource, type ResolveOptions, type SigningPosture } from './config';
export { HsmErrorCode } from './errors';
export { QuorumGate, type ActivationStatus, type IssuedShare, type QuorumRecord } from './quorum';
export type { GenerateKeyRequest, HealthReport, KeyAlgorithm, KeyInfo, KeyManager, KeySelector, MechanismStatus, SignOptions } from './keyManager';
export type { TokenInitOutcome } from './tokenInit';

export type EmbeddedHsmConfig = HsmConfig & { readonly embedded: NonNullable<HsmConfig['embedded']> };

export const isEmbedded = (config: HsmConfig): config is EmbeddedHsmConfig => config.embedded !== null;

/**
 * Opens the configured HSM. The embedded software token is initialised first when it does not
 * exist yet, unless `initialise` is false (read-only callers such as `tqca hsm status`): then a
 * missing store is HSM_TOKEN_NOT_FOUND, and nothing is created (the module would make the store).
 * Under the quorum the answer is a locked QuorumGate: nothing signs until K officers enter their shares.
 */
export async function openHsm(config: HsmConfig, { initialise = true } = {}): Promise<Result<KeyManager>> {
  if (isEmbedded(config)) {
    if (!initialise && !existsSync(config.embedded.tokenDir)) {
      return err(HsmErrorCode.TOKEN_NOT_FOUND, `no embedded token in ${config.embedded.tokenDir}: run tqca hsm init`, {
        field: 'TQCA_TOKEN_DIR',
        details: { tokenDir: config.embedded.tokenDir },
      });
    }
    // Under the quorum the token is created by `tqca hsm init --officers …`, never on first use.
    const initialised = initialise && !config.quorum ? initEmbeddedToken(config) : ok(useEmbeddedStore(config));
    if (!initialised.ok) return initialised;
  }
  const { modulePath, tokenLabel, pin, profile, poolSize, acquireTimeoutMs, quorum } = config;
  const connect = (userPin: string) => openPkcs11KeyManager({ modulePath, tokenLabel, pin: userPin, profile, poolSize, acquireTimeoutMs });
  if (quorum) {
    const record = readQuorumRecord(quorum.recordPath, { tokenLabel, k: quorum.k, n: quorum.n });
    return record.ok ? ok(new QuorumGate(record.value, connect)) : record;
  }
  if (pin === null) return err(HsmErrorCode.PIN_MISSING, 'no user PIN is configured', { field: 'TQCA_HSM_PIN' });
  return connect(pin);
}

/** Creates the embedded software token and sets its user PIN; later runs report that it exists. */
export function initEmbeddedToken(config: EmbeddedHsmConfig): Result<TokenInitOutcome> {
  const { soPin } = config.embedded;
  if (config.quorum) {
    return err(HsmErrorCode.CONFIG_INVALID, 'under TQCA_HSM_QUORUM the token is initialised with its officers (initQuorumToken)', { field: 'TQCA_HSM_QUORUM' });
  }
  if (config.pin === null || soPin === null) {
    return err(HsmErrorCode.CONFIG_INVALID, 'this configuration was resolved read-only: it has no SO PIN to create the token with', { field: 'secrets' });
  }
  useEmbeddedStore(config);
  return initToken({ modulePath: config.modulePath, tokenLabel: config.tokenLabel, soPin, userPin: config.pin });
}

/**
 * The production profile's initialisation: a new token (a free slot of the module; the embedded
 * software token's store) whose user and SO PINs come from a secret split among `officers`, one
 * share each, K = the configured threshold. Only the public record is written; the shares are
 * returned for showing, once, to their holders. A token that exists already is refused: its PIN
 * was not split, and someone may know it.
 */
export function initQuorumToken(
  config: HsmConfig & { readonly quorum: QuorumPolicy },
  officers: readonly string[],
): Result<{ readonly token: TokenInitOutcome; readonly record: QuorumRecord; readonly shares: readonly IssuedShare[] }> {
  const { quorum, modulePath, tokenLabel } = config;
  if (officers.length !== quorum.n) {
    return err(HsmErrorCode.CONFIG_INVALID, `TQCA_HSM_QUORUM is ${quorum.k}/${quorum.n}: name ${quorum.n} officers, not ${officers.length}`, {
      field: 'officers',
    });
  }
  if (isEmbedded(config)) useEmbeddedStore(config);
  const created = createQuorum({ recordPath: quorum.recordPath, tokenLabel, k: quorum.k, officers }, ({ userPin, soPin }) => {
    const token = initToken({ modulePath, tokenLabel, soPin, userPin });
    if (token.ok && token.value.state !== 'created') {
      return err(HsmErrorCode.QUORUM_EXISTS, `token "${tokenLabel}" exists already with a PIN that was not split: start from a new token`, {
        field: 'TQCA_TOKEN_LABEL',
      });
    }
    return token;
  });
  return created.ok ? ok({ token: created.value.initialised, record: created.value.record, shares: created.value.shares }) : created;
}

/** The software token reads its store location from the environment at C_Initialize. */
function useEmbeddedStore(config: EmbeddedHsmConfig): void {
  Object.assign(process.env, config.embedded.moduleEnv);
}
