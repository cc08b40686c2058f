/**
 * Throwaway TLS certificates for the HTTPS tests, made with the openssl command line: P-256 keys,
 * certificates valid for two days, each signed by a named CA (or self-signed), in one directory.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** `issue(name, cn, ca, extensions)` writes `<name>.key` and `<name>.pem` in `dir`, signed by `<ca>` (self-signed when undefined). */
export function tlsIssuer(dir: string): (name: string, cn: string, ca: string | undefined, extensions: string) => void {
  mkdirSync(dir, { recursive: true });
  const openssl = (...args: string[]) => {
    const r = spawnSync('openssl', args, { cwd: dir, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  return (name, cn, ca, extensions) => {
    writeFileSync(join(dir, `${name}.ext`), `${extensions}\n`);
    openssl('req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`);
    if (ca === undefined) openssl('x509', '-req', '-in', `${name}.csr`, '-key', `${name}.key`, '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
    else openssl('x509', '-req', '-in', `${name}.csr`, '-CA', `${ca}.pem`, '-CAkey', `${ca}.key`, '-CAcreateserial', '-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`);
  };
}

/** A CA, a server certificate for 127.0.0.1 and a client certificate it signed: what a TLS server with client certificates needs. */
export const CA_EXTENSIONS = 'basicConstraints=critical,CA:TRUE\nkeyUsage=critical,keyCertSign';
export const SERVER_EXTENSIONS = 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth';
export const CLIENT_EXTENSIONS = 'extendedKeyUsage=clientAuth';
