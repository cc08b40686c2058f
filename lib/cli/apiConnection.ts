/**
 * The options every command that talks to the CA's API over HTTP(S) shares (`tqca tms`, `tqca
 * issuer`, `tqca log witness --server`): the server's URL, the API token from a file (never the
 * command line, where `ps` shows it) and the TLS trust anchors and client certificate, with one
 * spelling and one set of checks.
 */
import type { ApiEndpoint } from '../clients/http';
import { ok, type Result } from '../errors';
import { requiredValue, value, type ArgumentParser } from './command';
import { cliError } from './errorCodes';

const PEM_LIMIT = 64 * 1024;
const TOKEN_LIMIT = 1024;
const TOKEN = /^tqt_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/;

export const serverInput: ArgumentParser<URL> = (text) => {
  try {
    const url = new URL(text);
    if (url.protocol === 'http:' || url.protocol === 'https:') return ok(url);
  } catch {
    // refused below
  }
  return cliError('USAGE', `--server must be an http: or https: URL (e.g. https://ca.example:8443), not ${JSON.stringify(text)}`, { field: 'server' });
};

/** A small text file (a PEM), trimmed; empty is an error. */
const pemInput =
  (field: string): ArgumentParser<string> =>
  async (path, context) => {
    const content = await context.readFile(path, PEM_LIMIT);
    if (!content.ok) return { ok: false, error: { ...content.error, field } };
    const text = Buffer.from(content.value).toString('utf8').trim();
    return text.length > 0 ? ok(text) : cliError('INPUT_EMPTY', `${path} is empty`, { field });
  };

/** The API token in a file: its first line, in the form `tqca token create` prints. */
export const tokenFileInput: ArgumentParser<string> = async (path, context) => {
  const content = await context.readFile(path, TOKEN_LIMIT);
  if (!content.ok) return { ok: false, error: { ...content.error, field: 'tokenFile' } };
  const token = Buffer.from(content.value).toString('utf8').split('\n')[0]!.trim();
  return TOKEN.test(token) ? ok(token) : cliError('USAGE', `${path} does not hold an API token (tqt_<16 hex>_<43 base64url>)`, { field: 'tokenFile' });
};

/** --ca-cert, --client-cert, --client-key (client-, since --key names the signing key of `tqca issuer` and `tqca log witness`). */
export const tlsOptions = {
  caCert: value('<file>', 'PEM trust anchors for the server’s TLS certificate (default: the system store)', pemInput('caCert')),
  clientCert: value('<file>', 'PEM client certificate, for a server that requires one (mutual TLS)', pemInput('clientCert')),
  clientKey: value('<file>', 'PEM private key of --client-cert', pemInput('clientKey')),
};

/** --server and --token-file (both required), then the TLS options. */
export const connectionOptions = (tokenHelp: string) => ({
  server: requiredValue('<url>', 'the clearing center’s API, e.g. https://ca.example:8443', serverInput),
  tokenFile: requiredValue('<file>', tokenHelp, tokenFileInput),
  ...tlsOptions,
});

export interface ConnectionOptions {
  readonly server: URL;
  readonly tokenFile: string;
  readonly caCert?: string;
  readonly clientCert?: string;
  readonly clientKey?: string;
}

/** The endpoint the options name; a client certificate without its key (or the reverse) is a usage error. */
export function apiEndpointOf(o: ConnectionOptions): Result<ApiEndpoint> {
  if ((o.clientCert === undefined) !== (o.clientKey === undefined)) {
    return cliError('USAGE', '--client-cert and --client-key go together', { field: o.clientCert === undefined ? 'clientCert' : 'clientKey' });
  }
  return ok({
    server: o.server,
    token: o.tokenFile,
    tls: { ...(o.caCert !== undefined ? { ca: o.caCert } : {}), ...(o.clientCert !== undefined ? { cert: o.clientCert, key: o.clientKey } : {}) },
  });
}
