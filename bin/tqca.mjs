#!/usr/bin/env node
// The CLI is TypeScript; tsx compiles it on load so `npx tqca` needs no build step.
import { register } from 'tsx/esm/api';

register();
try {
  const { main } = await import('../lib/cli/main.ts');
  process.exitCode = await main(process.argv.slice(2));
} catch (thrown) {
  // main() reports every failure itself; reaching this means the CLI's own modules did not load.
  const message = thrown instanceof Error ? thrown.message : String(thrown);
  process.stdout.write(`${JSON.stringify({ valid: false, error: { code: 'INTERNAL', message } }, null, 2)}\n`);
  process.stderr.write(`tqca: INTERNAL: ${thrown instanceof Error ? thrown.stack : message}\n`);
  process.exitCode = 1;
}
