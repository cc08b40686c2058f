#!/usr/bin/env node
// npm run db:migrate                    apply pending migrations to the configured database
//                                       (DATABASE_URL, or the embedded PGlite in .data/db)
// npm run db:migrate -- --create NAME   write prisma/migrations/<timestamp>_NAME from schema.prisma
import { register } from 'tsx/esm/api';

register();
const { runMigrateCommand } = await import('../lib/db/migrateCommand.ts');
const code = await runMigrateCommand(process.argv.slice(2));
// The wasm engine leaves a timer running for about 10 s; do not wait for it.
process.exit(code);
