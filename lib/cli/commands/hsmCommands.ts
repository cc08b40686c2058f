/**
 * `tqca hsm …`: the HSM as the environment configures it (hsm/config.ts: TQCA_PKCS11_MODULE,
 * TQCA_TOKEN_LABEL, TQCA_HSM_PIN[_FILE], TQCA_HSM_PROFILE; default the embedded software token).
 */
import { resolveHsmConfig, type HsmConfig } from '../../../hsm/config';
import { HsmErrorCode, initEmbeddedToken, isEmbedded, openHsm, type KeyManager } from '../../../hsm';
import { buildSoftToken, softTokenModulePath } from '../../../hsm/softtoken';
import { toHex } from '../../bytes';
import { defineCommand, invalid, valid, type JsonObject, type Outcome } from '../command';
import { details, table } from './caSession';

const ENVIRONMENT = `The HSM is the one the environment names: TQCA_PKCS11_MODULE, TQCA_TOKEN_LABEL,
TQCA_HSM_PIN or TQCA_HSM_PIN_FILE, TQCA_HSM_PROFILE (luna, sansec, tass, softtoken, p256 or a JSON
file); unset, the embedded software token in .data/token.`;

/** Runs `use` on the configured HSM (never creating the embedded token or its PINs), then closes it. */
async function withHsm(use: (hsm: KeyManager, config: HsmConfig) => Promise<Outcome>): Promise<Outcome> {
  const config = resolveHsmConfig(process.env, { createSecrets: false });
  if (!config.ok) return invalid(config.error);
  const opened = await openHsm(config.value, { initialise: false });
  if (!opened.ok) return invalid(opened.error);
  try {
    return await use(opened.value, config.value);
  } finally {
    await opened.value.close();
  }
}

export const modulePath = defineCommand({
  description: 'Prints the absolute path of the built SM2 software-token module (a PKCS#11 library), e.g. for pkcs11-tool --module.',
  options: {},
  positionals: {},
  async run() {
    const path = softTokenModulePath();
    return path.ok ? { ...valid({ modulePath: path.value }), text: `${path.value}\n` } : invalid(path.error);
  },
});

export const status = defineCommand({
  description: `Opens the token, checks the profile's mechanisms against C_GetMechanismList, and signs
with the canary key (created on first use), verifying on the host. ${ENVIRONMENT}`,
  options: {},
  positionals: {},
  run: () =>
    withHsm(async (hsm) => {
      const health = await hsm.health();
      if (!health.ok) return invalid(health.error);
      const h = health.value;
      const text =
        details({
          module: `${h.module.path} (${h.module.manufacturer}, ${h.module.description}, library ${h.module.libraryVersion}, Cryptoki ${h.module.cryptokiVersion})`,
          token: `${h.token.label} (${h.token.manufacturer} ${h.token.model}, serial ${h.token.serialNumber})`,
          profile: `${h.profile} (${h.algorithm})`,
          sessions: `${h.sessions.size} in the pool, ${h.sessions.open} open, ${h.sessions.inUse} in use`,
          canary: `${h.canary.label} signed and verified in ${h.canary.latencyMs} ms`,
        }) +
        table(h.mechanisms, [
          ['mechanism', (m) => m.name],
          ['code', (m) => m.code],
          ['role', (m) => m.role],
          ['token', (m) => (m.present ? 'present' : 'MISSING')],
          ['used', (m) => (m.selected ? 'selected' : '')],
        ]);
      return { ...valid({ health: h as unknown as JsonObject }), text };
    }),
});

export const keys = defineCommand({
  description: `Lists the private keys of the profile's key type on the token, with their public keys (X‖Y hex). ${ENVIRONMENT}`,
  options: {},
  positionals: {},
  run: () =>
    withHsm(async (hsm) => {
      const listed = await hsm.listKeys();
      if (!listed.ok) return invalid(listed.error);
      const rows = listed.value;
      const text = table(rows, [
        ['label', (k) => k.label],
        ['id', (k) => toHex(k.id)],
        ['algorithm', (k) => k.algorithm],
        ['public key (X‖Y)', (k) => toHex(k.publicKey)],
      ]);
      return { ...valid({ keys: rows as unknown as JsonObject[] }), text };
    }),
});

export const init = defineCommand({
  description: `Builds the SM2 software-token module if needed, and creates the embedded token (label
TQCA_TOKEN_LABEL, default tqca) in .data/token with the PINs generated on first run in
.data/secrets (mode 0600). Running it again reports that the token exists. An external HSM
(TQCA_PKCS11_MODULE) is initialised with its vendor's tools instead.`,
  options: {},
  positionals: {},
  async run() {
    const built = buildSoftToken();
    if (!built.ok) return invalid(built.error);
    const config = resolveHsmConfig();
    if (!config.ok) return invalid(config.error);
    if (!isEmbedded(config.value)) {
      return invalid({
        code: HsmErrorCode.CONFIG_INVALID,
        message: 'TQCA_PKCS11_MODULE names an external HSM: initialise its token with the vendor’s tools',
        field: 'TQCA_PKCS11_MODULE',
      });
    }
    const outcome = initEmbeddedToken(config.value);
    if (!outcome.ok) return invalid(outcome.error);
    const { state, tokenLabel, serialNumber } = outcome.value;
    const body = { token: { state, tokenLabel, serialNumber, store: config.value.embedded.tokenDir, modulePath: config.value.modulePath } };
    const said = state === 'exists' ? 'exists already' : state === 'created' ? 'created' : 'completed (user PIN set)';
    return { ...valid(body), text: `token "${tokenLabel}" ${said} in ${config.value.embedded.tokenDir}\n` };
  },
});
