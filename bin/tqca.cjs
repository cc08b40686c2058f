#!/usr/bin/env node
'use strict';
// The `tqca` entry is CommonJS on purpose: libuv sizes its thread pool on first use, and an
// ES-module entry has already used it (async module loading) before its first line runs.
// pkcs11js' async calls run on that pool, so it needs at least as many threads as HSM sessions.
if (!process.env.UV_THREADPOOL_SIZE) process.env.UV_THREADPOOL_SIZE = '16';
import('./tqca.mjs');
