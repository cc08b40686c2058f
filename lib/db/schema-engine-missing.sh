#!/bin/sh
# Stands in for Prisma's native schema engine, which this project never downloads: it keeps
# `prisma generate` offline. Migrations run on @prisma/schema-engine-wasm (npm run db:migrate).
echo "The native Prisma schema engine is not used here: run 'npm run db:migrate' (see prisma/README.md)." >&2
exit 1
