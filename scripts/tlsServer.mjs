#!/usr/bin/env node
// The built console and API over HTTPS (spec 9.2) without a reverse proxy: Node's https server in
// front of Next's request handler. TQCA_TLS_CERT / TQCA_TLS_KEY are PEM files (the chain and its
// key); with TQCA_TLS_CLIENT_CA (PEM bundle) every client must present a certificate it signed,
// refused in the handshake otherwise. `npm start` runs this when TQCA_TLS_CERT is set.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import next from 'next';

const env = process.env;
const read = (name) => {
  try {
    return readFileSync(env[name]);
  } catch (e) {
    console.error(`tqca: ${name}=${env[name]} cannot be read: ${e.message}`);
    process.exit(2);
  }
};
if (!env.TQCA_TLS_CERT || !env.TQCA_TLS_KEY) {
  console.error('tqca: TLS needs both TQCA_TLS_CERT and TQCA_TLS_KEY');
  process.exit(2);
}
const clientCa = env.TQCA_TLS_CLIENT_CA ? read('TQCA_TLS_CLIENT_CA') : undefined;
const options = {
  cert: read('TQCA_TLS_CERT'),
  key: read('TQCA_TLS_KEY'),
  minVersion: 'TLSv1.2',
  ...(clientCa ? { ca: clientCa, requestCert: true, rejectUnauthorized: true } : {}),
};

const port = Number(env.PORT ?? '3000');
const host = env.HOST ?? '127.0.0.1';
const app = next({ dev: false, dir: new URL('..', import.meta.url).pathname, hostname: host, port });
await app.prepare();
const handle = app.getRequestHandler();
const server = createServer(options, (req, res) => handle(req, res));
server.listen(port, host, () => console.log(`tqca: https://${host}:${port}${clientCa ? ' (client certificates required)' : ''}`));
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => server.close(() => process.exit(0)));
