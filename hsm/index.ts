/**
 * The HSM layer's front door: open the key manager a configuration names (hsm/config.ts), the
 * embedded software token being created on first use. Callers see KeyManager and TqErrors only.
 */
import { existsSync } from 'node:fs';
import { err, ok, type Result } from '../lib/errors';
import type { HsmConfig } from './config';
import type { KeyManager } from './keyManager';
import { HsmErrorCode } from './errors';
import { openPkcs11KeyManager } from './pkcs11KeyManager';
import { initToken, type TokenInitOutcome } from './tokenInit';

export { resolveHsmConfig, type HsmConfig, type ResolveOptions } from './config';
export { HsmErrorCode } from './errors';
export type { GenerateKeyRequest, HealthReport, KeyAlgorithm, KeyInfo, KeyManager, KeySelector, MechanismStatus, SignOptions } from './keyManager';
export type { TokenInitOutcome } from './tokenInit';

export type EmbeddedHsmConfig = HsmConfig & { readonly embedded: NonNullable<HsmConfig['embedded']> };

export const isEmbedded = (config: HsmConfig): config is EmbeddedHsmConfig => config.embedded !== null;

/**
 * Opens the configured HSM. The embedded software token is initialised first when it does not
 * exist yet, unless `initialise` is false (read-only callers such as `tqca hsm status`): then a
 * missing store is HSM_TOKEN_NOT_FOUND, and nothing is created (the module would make the store).
 */
export async function openHsm(config: HsmConfig, { initialise = true } = {}): Promise<Result<KeyManager>> {
  if (isEmbedded(config)) {
    if (!initialise && !existsSync(config.embedded.tokenDir)) {
      return err(HsmErrorCode.TOKEN_NOT_FOUND, `no embedded token in ${config.embedded.tokenDir}: run tqca hsm init`, {
        field: 'TQCA_TOKEN_DIR',
        details: { tokenDir: config.embedded.tokenDir },
      });
    }
    const initialised = initialise ? initEmbeddedToken(config) : ok(useEmbeddedStore(config));
    if (!initialised.ok) return initialised;
  }
  const { modulePath, tokenLabel, pin, profile, poolSize, acquireTimeoutMs } = config;
  return openPkcs11KeyManager({ modulePath, tokenLabel, pin, profile, poolSize, acquireTimeoutMs });
}

/** Creates the embedded software token and sets its user PIN; later runs report that it exists. */
export function initEmbeddedToken(config: EmbeddedHsmConfig): Result<TokenInitOutcome> {
  const { soPin } = config.embedded;
  if (soPin === null) return err(HsmErrorCode.CONFIG_INVALID, 'this configuration was resolved read-only: it has no SO PIN to create the token with', { field: 'secrets' });
  useEmbeddedStore(config);
  return initToken({ modulePath: config.modulePath, tokenLabel: config.tokenLabel, soPin, userPin: config.pin });
}

/** The software token reads its store location from the environment at C_Initialize. */
function useEmbeddedStore(config: EmbeddedHsmConfig): void {
  Object.assign(process.env, config.embedded.moduleEnv);
}
