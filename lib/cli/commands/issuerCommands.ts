/**
 * `tqca issuer …`: the reference client an issuer's integrator runs against the clearing center's
 * API (lib/clients/issuer), the way certbot serves its CA. No database and no CA here: a server
 * URL, a token file, the issuer's own key.
 */
import { join } from 'node:path';
import { toHex } from '../../bytes';
import type { Sm2PublicKey } from '../../crypto/sm2';
import { ok, type Result } from '../../errors';
import { fetchCertificate, parseExpiry, renew as renewCertificate, requestCertificate, type RootTrust } from '../../clients/issuer/issuer';
import { fingerprintOf } from '../../clients/issuer/keys';
import { withKeyStore, type Pkcs11Token } from '../../clients/issuer/pkcs11';
import { defineCommand, flag, invalid, repeatedValue, requiredValue, valid, value, type ArgumentParser, type JsonObject, type Outcome } from '../command';
import { apiEndpointOf, connectionOptions } from '../apiConnection';
import { cliError } from '../errorCodes';
import { publicKeyInput } from '../inputs';
import { writeAtomically } from './bundleCommands';
import { details, idInput } from './caSession';

const text: ArgumentParser<string> = (t) => ok(t);

const positiveInput =
  (field: string, max: number): ArgumentParser<number> =>
  (t) => {
    const n = Number(t);
    return /^[0-9]+$/.test(t) && n >= 1 && n <= max ? ok(n) : cliError('USAGE', `${field} must be an integer 1–${max}`, { field });
  };

const serialInput: ArgumentParser<number> = (t) =>
  /^[0-9a-fA-F]{1,6}$/.test(t) && Number.parseInt(t, 16) !== 0 ? ok(Number.parseInt(t, 16)) : cliError('USAGE', 'the serial is 1–6 hex digits, not 0 (uint24)', { field: 'serial' });

const checkValueInput: ArgumentParser<string> = (t) => (/^[0-9a-fA-F]{64}$/.test(t) ? ok(t.toLowerCase()) : cliError('USAGE', 'a check value is 64 hex digits (SM3 of the A2 record)', { field: 'rootCheck' }));

const keyStore = {
  pkcs11: value('<module>', 'keep the key in the issuer’s own PKCS#11 token instead of a file: its library', text),
  tokenLabel: value('<label>', 'with --pkcs11: the token’s label (default tqca-issuer)', text),
  pinFile: value('<file>', 'with --pkcs11: a file holding the user PIN', text),
  profile: value('<name>', 'with --pkcs11: the vendor profile, luna | sansec | tass | softtoken or a JSON file (default softtoken)', text),
};

interface KeyStoreOptions {
  readonly pkcs11?: string;
  readonly tokenLabel?: string;
  readonly pinFile?: string;
  readonly profile?: string;
}

function tokenOf(o: KeyStoreOptions): Result<Pkcs11Token | null> {
  if (o.pkcs11 === undefined) {
    const stray = (['tokenLabel', 'pinFile', 'profile'] as const).find((k) => o[k] !== undefined);
    return stray ? cliError('USAGE', `--${stray.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs --pkcs11`, { field: stray }) : ok(null);
  }
  if (o.pinFile === undefined) return cliError('USAGE', '--pkcs11 needs --pin-file (the token’s user PIN)', { field: 'pinFile' });
  return ok({ module: o.pkcs11, tokenLabel: o.tokenLabel ?? 'tqca-issuer', pinFile: o.pinFile, profile: o.profile ?? 'softtoken' });
}

const outcome = <T extends object>(result: Result<T>, render: (value: T) => { json: JsonObject; text: string }): Outcome => {
  if (!result.ok) return invalid(result.error);
  const { json, text: lines } = render(result.value);
  return { ...valid(json), text: lines };
};

export const keygen = defineCommand({
  description: `Makes a fresh SM2 key whose public point has even Y (TQ-CERT-1 §2): into the file --out, readable by its
owner only (0600), or with --pkcs11 into the issuer's own token under the label --out. An existing file or label is
never replaced: a key is certified once.`,
  options: { out: requiredValue('<file | label>', 'the new key file (with --pkcs11: the new key’s label)', text), ...keyStore },
  positionals: {},
  async run({ options }) {
    const token = tokenOf(options);
    if (!token.ok) return invalid(token.error);
    return outcome(await withKeyStore(token.value, (store) => store.generate(options.out)), (key) => {
      const body = { key: key.reference, publicKey: toHex(key.publicKey.bytes), fingerprint: fingerprintOf(key.publicKey) };
      return { json: body, text: details(body) };
    });
  },
});

export const request = defineCommand({
  description: `Fetches a challenge, builds the A1 record for the token's issuer with --key, --serial and --expiry,
signs it with the key (the proof of possession) and submits it. Read the printed fingerprint to the clearing
center's officer out of band; then fetch the certificate with the printed request id.`,
  options: {
    ...connectionOptions('a file holding the issuer’s API token (tqca token create issuer …)'),
    key: requiredValue('<file | label>', 'the key to certify (tqca issuer keygen; with --pkcs11 its label)', text),
    ...keyStore,
    serial: requiredValue('<hex>', 'the certificate serial the issuer chooses, 1–FFFFFF, never reused', serialInput),
    expiry: requiredValue('<MMYY>', 'last month of validity', (t) => parseExpiry(t)),
  },
  positionals: {},
  async run({ options }, context) {
    const endpoint = apiEndpointOf(options);
    if (!endpoint.ok) return invalid(endpoint.error);
    const token = tokenOf(options);
    if (!token.ok) return invalid(token.error);
    const submitted = await withKeyStore(token.value, async (store) => {
      const key = await store.open(options.key);
      if (!key.ok) return key;
      return requestCertificate(endpoint.value, { key: key.value, serial: options.serial, expiry: options.expiry, now: () => new Date(Math.max(Date.now(), context.now.getTime())) });
    });
    return outcome(submitted, (s) => {
      const body = { request: s.request.id, state: s.request.state, fingerprint: s.fingerprint, serial: s.request.serial, expiry: s.request.expiry, key: s.key };
      return { json: body, text: details({ ...body, next: `read the fingerprint to the clearing center, then: tqca issuer fetch --request ${s.request.id} --wait` }) };
    });
  },
});

const trustOptions = {
  root: value('<X‖Y hex>', 'the root public key the certificate must verify under', publicKeyInput('root')),
  rootCheck: repeatedValue('<hex>', 'or: the check value of a trusted A2 record (confirmed out of band); the A2 records come from GET /roots', checkValueInput, false),
};

function trustOf(o: { root?: Sm2PublicKey; rootCheck: readonly string[] }): Result<RootTrust> {
  if (o.root !== undefined && o.rootCheck.length > 0) return cliError('USAGE', 'give --root or --root-check, not both', { field: 'root' });
  if (o.root !== undefined) return ok({ kind: 'key', publicKey: o.root });
  if (o.rootCheck.length > 0) return ok({ kind: 'checkValues', checkValues: o.rootCheck });
  return cliError('USAGE', 'give --root <X‖Y hex> or --root-check <check value>: the certificate is verified before it is written', { field: 'root' });
}

export const fetch = defineCommand({
  description: `Fetches the certificate of --request once it is issued (with --wait: polls until then), verifies it as a
terminal does under the trusted root (--root, or the A2 records of GET /roots whose check value is a --root-check),
checks that it certifies the requested key and serial and that its A3 record binds it to its number and issuer,
and only then writes the 106 bytes to --out (and the A3 to --a3-out).`,
  options: {
    ...connectionOptions('a file holding the issuer’s API token (tqca token create issuer …)'),
    ...trustOptions,
    request: requiredValue('<id>', 'the request id `tqca issuer request` printed', idInput('request')),
    out: requiredValue('<file>', 'where the 106-byte certificate goes', text),
    a3Out: value('<file>', 'where the 184-byte A3 record goes', text),
    wait: flag('poll until the request is issued (or rejected)'),
    pollSeconds: value('<s>', 'seconds between polls (default 10)', positiveInput('pollSeconds', 3600)),
    timeoutSeconds: value('<s>', 'give up waiting after this long (default 86400)', positiveInput('timeoutSeconds', 30 * 86400)),
  },
  positionals: {},
  async run({ options }) {
    const endpoint = apiEndpointOf(options);
    if (!endpoint.ok) return invalid(endpoint.error);
    const trust = trustOf(options);
    if (!trust.ok) return invalid(trust.error);
    const fetched = await fetchCertificate(endpoint.value, {
      requestId: options.request,
      trust: trust.value,
      wait: options.wait,
      pollMs: (options.pollSeconds ?? 10) * 1000,
      timeoutMs: (options.timeoutSeconds ?? 86400) * 1000,
      now: () => new Date(),
    });
    if (!fetched.ok) return invalid(fetched.error);
    const written = await writeAtomically(options.out, fetched.value.certificate);
    if (!written.ok) return invalid(written.error);
    if (options.a3Out !== undefined && fetched.value.a3Record !== null) {
      const a3 = await writeAtomically(options.a3Out, fetched.value.a3Record);
      if (!a3.ok) return invalid(a3.error);
    }
    const f = fetched.value;
    const body = { request: f.request.id, number: f.number, serial: f.request.serial, expiresAt: f.expiresAt, rootKeyIndex: f.rootKeyIndex.toString(16).toUpperCase().padStart(2, '0'), out: options.out };
    return { ...valid({ ...body, certificate: f.certificate }), text: details(body) };
  },
});

export const renew = defineCommand({
  description: `Renews on time, for a daily cron job: when the issuer's newest active certificate expires within --before
days (or there is none), makes a fresh key in --key-dir and requests a certificate for it under the next unused
serial, valid --months. A request already open at the center is reported instead, and nothing is asked of the
center otherwise, so running it again is harmless. All state comes from the API: a lost machine loses nothing but keys.`,
  options: {
    ...connectionOptions('a file holding the issuer’s API token (tqca token create issuer …)'),
    before: requiredValue('<days>', 'renew when the newest certificate expires within this many days', positiveInput('before', 3650)),
    keyDir: value('<dir>', 'where the fresh key file goes (not with --pkcs11: the key goes into the token)', text),
    ...keyStore,
    months: value('<n>', 'validity of the new certificate in months (default 12)', positiveInput('months', 36)),
  },
  positionals: {},
  async run({ options }, context) {
    const endpoint = apiEndpointOf(options);
    if (!endpoint.ok) return invalid(endpoint.error);
    const token = tokenOf(options);
    if (!token.ok) return invalid(token.error);
    if ((token.value === null) !== (options.keyDir !== undefined)) return invalid(cliError('USAGE', 'give --key-dir for key files, or --pkcs11 for a token', { field: 'keyDir' }).error);
    const now = () => new Date(Math.max(Date.now(), context.now.getTime()));
    const name = `issuer-key-${now().toISOString().replace(/[-:.]/g, '')}`;
    const renewed = await withKeyStore(token.value, (store) =>
      renewCertificate(endpoint.value, {
        beforeDays: options.before,
        months: options.months ?? 12,
        now,
        newKey: () => store.generate(options.keyDir === undefined ? name : join(options.keyDir, `${name}.json`)),
      }),
    );
    return outcome(renewed, (r) => {
      const body: JsonObject =
        r.action === 'none'
          ? { action: r.action, certificate: r.certificate, expiresAt: r.expiresAt }
          : r.action === 'pending'
            ? { action: r.action, request: r.request.id, state: r.request.state, fingerprint: r.request.fingerprint }
            : { action: r.action, request: r.submitted.request.id, fingerprint: r.submitted.fingerprint, serial: r.submitted.request.serial, expiry: r.submitted.request.expiry, key: r.submitted.key, replaces: r.replaces };
      return { json: body, text: details(body) };
    });
  },
});

