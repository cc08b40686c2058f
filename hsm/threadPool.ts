/**
 * pkcs11js runs C_Sign, C_GenerateKeyPair … on libuv's thread pool (4 threads by default), and
 * C_Login, C_OpenSession and C_FindObjects block the event loop. A session pool larger than the
 * thread pool just queues. libuv reads UV_THREADPOOL_SIZE once, when the pool first starts, and
 * an ES-module entry point is too late to set it (the module loader has already used the pool;
 * verified on Node 20). So it is set in the environment the process starts with: by the shell or
 * service unit, by a CommonJS entry's first line (bin/tqca.cjs), or by a launcher for its child.
 */
const LIBUV_DEFAULT = 4;

/** The thread-pool size this process runs with. */
export function threadPoolSize(env: Readonly<Record<string, string | undefined>> = process.env): number {
  const configured = Number(env.UV_THREADPOOL_SIZE);
  return Number.isInteger(configured) && configured > 0 ? Math.min(configured, 1024) : LIBUV_DEFAULT;
}
