#!/usr/bin/env node
// Starts the console on the embedded defaults: builds the Next.js app when needed, then serves it.
import { spawnSync, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';

const port = process.env.PORT ?? '3000';
if (!existsSync('.next/BUILD_ID') || process.env.TQCA_REBUILD === '1') {
  const built = spawnSync('npx', ['next', 'build'], { stdio: 'inherit' });
  if (built.status !== 0) process.exit(built.status ?? 1);
}
const server = spawn('npx', ['next', 'start', '-p', port, '-H', process.env.HOST ?? '127.0.0.1'], { stdio: 'inherit' });
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => server.kill(sig));
server.on('exit', (code) => process.exit(code ?? 0));
