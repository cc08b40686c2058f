#!/usr/bin/env node
// `npm start`: the console on the embedded defaults (PGlite in .data/db, the SM2 software token in
// .data/token). Prepares them on first run (printing the first administrator), builds the web app
// when needed, then serves it.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';

const port = process.env.PORT ?? '3000';
const host = process.env.HOST ?? '127.0.0.1';
const env = {
  // libuv runs pkcs11js' async calls: give it at least as many threads as the HSM session pool.
  UV_THREADPOOL_SIZE: '16',
  // One data directory for the first-run step and the server, whatever their working directories.
  TQCA_DATA_DIR: resolve('.data'),
  // next-auth builds its callback and sign-out URLs from it; behind a proxy, set the public https URL.
  NEXTAUTH_URL: `http://${host}:${port}`,
  ...process.env,
  NEXT_TELEMETRY_DISABLED: '1',
};
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: 'inherit', env });
  if (r.status !== 0) process.exit(r.status ?? 1);
};

step('npx', ['tsx', 'scripts/console-setup.ts']);
if (!existsSync('.next/BUILD_ID') || env.TQCA_REBUILD === '1') step('npx', ['next', 'build']);

// With TQCA_TLS_CERT the server speaks HTTPS itself (scripts/tlsServer.mjs); otherwise plain next start (behind a TLS proxy).
const server = env.TQCA_TLS_CERT
  ? spawn(process.execPath, ['scripts/tlsServer.mjs'], { stdio: 'inherit', env: { ...env, PORT: port } })
  : spawn('npx', ['next', 'start', '-p', port, '-H', host], { stdio: 'inherit', env });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
