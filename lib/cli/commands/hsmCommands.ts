/**
 * `tqca hsm …`: the HSM as the environment configures it (hsm/config.ts: TQCA_PKCS11_MODULE,
 * TQCA_TOKEN_LABEL, TQCA_HSM_PIN[_FILE], TQCA_HSM_PROFILE; default the embedded software token).
 */
import { resolveHsmConfig, signingPosture, type HsmConfig } from '../../../hsm/config';
import { HsmErrorCode, initEmbeddedToken, initQuorumToken, isEmbedded, openHsm, QuorumGate, type IssuedShare, type KeyManager } from '../../../hsm';
import { buildSoftToken, softTokenModulePath } from '../../../hsm/softtoken';
import { recordTokenInitialisation, USERNAME_PATTERN, type ServiceContext } from '../../ca';
import { openCa } from '../../runtime/openCa';
import { toHex } from '../../bytes';
import { type Result, type TqError } from '../../errors';
import { defineCommand, invalid, valid, value, type JsonObject, type Outcome } from '../command';
import { cliError } from '../errorCodes';
import { terminalPrompter, type Prompter } from '../operatorLogin';
import { activateAtTerminal, lockAudited } from '../quorumEntry';
import { details, table } from './caSession';
import { onDatabase } from './databaseSession';

const ENVIRONMENT = `The HSM is the one the environment names: TQCA_PKCS11_MODULE, TQCA_TOKEN_LABEL,
TQCA_HSM_PIN or TQCA_HSM_PIN_FILE or TQCA_HSM_QUORUM=K/N, TQCA_HSM_PROFILE (luna, sansec, tass,
softtoken, p256 or a JSON file); unset, the embedded software token in .data/token.`;

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

/** The evaluation token says what it is, first, in every human-readable answer. */
function warningLine(config: HsmConfig): string {
  const { notice } = signingPosture(config);
  return notice ? `WARNING: ${notice}\n` : '';
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
with the canary key (created on first use), verifying on the host; says where the PIN comes from
(the embedded token with its PIN on disk is for evaluation only). Under TQCA_HSM_QUORUM it reports
the quorum instead: this process is locked, and the canary needs \`tqca hsm activate\`. ${ENVIRONMENT}`,
  options: {},
  positionals: {},
  run: () =>
    withHsm(async (hsm, config) => {
      const posture = signingPosture(config);
      if (hsm instanceof QuorumGate) {
        const quorum = hsm.status();
        const text = details({
          token: quorum.tokenLabel,
          pin: `split ${quorum.threshold} of ${quorum.holders.length} among ${quorum.holders.join(', ')}`,
          signing: 'locked in this process (tqca hsm activate checks the shares and the canary)',
        });
        return { ...valid({ signing: { ...posture, quorum: quorum as unknown as JsonObject } }), text };
      }
      const health = await hsm.health();
      if (!health.ok) return invalid(health.error, { signing: { ...posture } });
      const h = health.value;
      const text =
        warningLine(config) +
        details({
          module: `${h.module.path} (${h.module.manufacturer}, ${h.module.description}, library ${h.module.libraryVersion}, Cryptoki ${h.module.cryptokiVersion})`,
          token: `${h.token.label} (${h.token.manufacturer} ${h.token.model}, serial ${h.token.serialNumber})`,
          profile: `${h.profile} (${h.algorithm})`,
          pin: posture.pinSource,
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
      return { ...valid({ health: h as unknown as JsonObject, signing: { ...posture } }), text };
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
.data/secrets (mode 0600) — evaluation only. Running it again reports that the token exists. Creating or completing
a token is an audit event, so the CA database must open first: without it nothing is initialised.

Under TQCA_HSM_QUORUM=K/N (production) --officers names the N share holders (operator usernames):
a new token (the embedded store, or a free slot of TQCA_PKCS11_MODULE) gets random user and SO
PINs derived from a secret split K-of-N; each officer's share is shown once, alone, at this
terminal, and nothing holding a PIN or a share is written (only the public record,
hsm-quorum.json in TQCA_DATA_DIR). Without the quorum an external HSM (TQCA_PKCS11_MODULE) is
initialised with its vendor's tools.`,
  options: { officers: value('<a,b,c>', 'the N share holders, under TQCA_HSM_QUORUM', officerList) },
  positionals: {},
  async run({ options }) {
    const config = resolveHsmConfig();
    if (!config.ok) return invalid(config.error);
    const { quorum } = config.value;
    if (quorum) {
      if (!options.officers) return invalid(cliError('QUORUM_OFFICERS_INVALID', `TQCA_HSM_QUORUM is ${quorum.k}/${quorum.n}: name the ${quorum.n} share holders with --officers`, { field: 'officers' }).error);
      const officers = options.officers;
      return onDatabase((ctx) => initUnderQuorum(ctx, { ...config.value, quorum }, officers, terminalPrompter()));
    }
    if (options.officers) return invalid(cliError('QUORUM_OFFICERS_INVALID', '--officers needs TQCA_HSM_QUORUM=K/N', { field: 'officers' }).error);
    const built = buildSoftToken();
    if (!built.ok) return invalid(built.error);
    if (!isEmbedded(config.value)) {
      return invalid({
        code: HsmErrorCode.CONFIG_INVALID,
        message: 'TQCA_PKCS11_MODULE names an external HSM: initialise its token with the vendor’s tools',
        field: 'TQCA_PKCS11_MODULE',
      });
    }
    const embedded = config.value;
    return onDatabase(async (ctx) => {
      const outcome = initEmbeddedToken(embedded);
      if (!outcome.ok) return invalid(outcome.error);
      const { state, tokenLabel, serialNumber } = outcome.value;
      const store = embedded.embedded.tokenDir;
      if (state !== 'exists') {
        const audited = await recordTokenInitialisation(ctx, { state, tokenLabel, serialNumber, store });
        if (!audited.ok) return invalid(audited.error, { token: { state, tokenLabel, serialNumber, store } });
      }
      const body = { token: { state, tokenLabel, serialNumber, store, modulePath: embedded.modulePath }, signing: { ...signingPosture(embedded) } };
      const said = state === 'exists' ? 'exists already' : state === 'created' ? 'created' : 'completed (user PIN set)';
      return { ...valid(body), text: `${warningLine(embedded)}token "${tokenLabel}" ${said} in ${store}\n` };
    });
  },
});

function officerList(text: string): Result<string[]> {
  const names = text.split(',').map((n) => n.trim());
  if (names.some((n) => !USERNAME_PATTERN.test(n)) || new Set(names).size !== names.length) {
    return cliError('QUORUM_OFFICERS_INVALID', `--officers is a comma-separated list of distinct operator usernames (${USERNAME_PATTERN})`, { field: 'officers' });
  }
  return { ok: true, value: names };
}

async function initUnderQuorum(
  ctx: ServiceContext,
  config: Parameters<typeof initQuorumToken>[0],
  officers: readonly string[],
  prompter: Prompter | undefined,
): Promise<Outcome> {
  // Checked before anything is created: the shares can be shown only on a terminal.
  if (!prompter) return invalid(cliError('QUORUM_TERMINAL_REQUIRED', 'the officers’ shares are shown only on a terminal (stdin and stderr a TTY)').error);
  if (isEmbedded(config)) {
    const built = buildSoftToken();
    if (!built.ok) return invalid(built.error);
  }
  const created = initQuorumToken(config, officers);
  if (!created.ok) return invalid(created.error);
  const { token, record } = created.value;
  const body = { token: { ...token, modulePath: config.modulePath }, quorum: { ...record, recordPath: config.quorum.recordPath } as unknown as JsonObject };
  // On the record before any share is shown: a token the audit log does not know is not handed out.
  const store = isEmbedded(config) ? config.embedded.tokenDir : config.modulePath;
  const audited = await recordTokenInitialisation(ctx, { state: token.state, tokenLabel: token.tokenLabel, serialNumber: token.serialNumber, store });
  if (!audited.ok) return invalid(audited.error, body);
  const shown = await showShares(created.value.shares, prompter);
  if (!shown.ok) return invalid(shown.error, body);
  return { ...valid(body), text: `token "${token.tokenLabel}" created; its PIN is split ${record.k} of ${record.n} among ${officers.join(', ')}\n` };
}

/** Each share alone on the screen, for its holder, then the screen and its scroll-back are cleared. */
async function showShares(shares: readonly IssuedShare[], prompter: Prompter): Promise<Result<void, TqError>> {
  const clear = () => process.stderr.write('\x1b[2J\x1b[3J\x1b[H');
  for (const share of shares) {
    clear();
    const ready = await prompter.ask(`Share ${share.x} of ${shares.length} is for ${share.officer} alone. ${share.officer}, press Enter to see it: `, { hidden: true });
    if (ready === undefined) return aborted(share);
    process.stderr.write(`\n  ${share.officer}:  ${share.text}\n\n`);
    const copied = await prompter.ask(`${share.officer}, write it down exactly, then press Enter (the screen is cleared): `, { hidden: true });
    clear();
    if (copied === undefined) return aborted(share);
  }
  return { ok: true, value: undefined };
}

const aborted = (share: IssuedShare): Result<void, TqError> =>
  cliError('QUORUM_ABORTED', `share ${share.x} (${share.officer}) and later ones were not shown: the token cannot be activated; remove its store and hsm-quorum.json, and initialise again`, {
    details: { x: share.x },
  });

export const activate = defineCommand({
  description: `Under TQCA_HSM_QUORUM: K officers in turn sign in and enter their shares at this terminal
(unechoed); the rebuilt PIN must match its commitment and log in; the canary then signs. Signing
is activated for this process only, and locked again (audited) before it exits: it checks the
officers' shares. Commands that sign (root approve, request issue) ask for the shares the same way.`,
  options: {},
  positionals: {},
  async run() {
    const opened = await openCa();
    if (!opened.ok) return invalid(opened.error);
    const { ca, activation } = opened.value;
    try {
      if (!activation) return invalid({ code: HsmErrorCode.CONFIG_INVALID, message: 'TQCA_HSM_QUORUM is not set: the PIN is configured, there is nothing to activate', field: 'TQCA_HSM_QUORUM' });
      const activated = await activateAtTerminal(ca, activation, terminalPrompter());
      if (!activated.ok) return invalid(activated.error);
      const { status, last } = activated.value;
      const health = await ca.keys.health();
      // The activation lasts this process: locked again now, recorded as the last officer's.
      await lockAudited(ca, activation, last);
      if (!health.ok) return invalid(health.error);
      const text = `signing activated by ${status.activatedBy.join(', ')}; canary signed and verified in ${health.value.canary.latencyMs} ms; locked again\n`;
      return { ...valid({ activation: status as unknown as JsonObject, canary: health.value.canary as unknown as JsonObject }), text };
    } finally {
      await opened.value.close();
    }
  },
});
