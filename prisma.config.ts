// Prisma CLI configuration. Only `prisma generate` is used from the CLI; migrations run on the
// wasm schema engine through lib/db/migrations.ts (the native engine cannot be downloaded here).
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'prisma/config';

// Pointing Prisma at an existing "engine" makes generate/validate/format skip the download.
process.env.PRISMA_SCHEMA_ENGINE_BINARY ??= fileURLToPath(new URL('./lib/db/schema-engine-missing.sh', import.meta.url));

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
});
