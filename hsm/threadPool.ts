/**
 * pkcs11js runs C_Sign, C_GenerateKeyPair … on libuv's thread pool (4 threads by default), and
 * C_Login, C_OpenSession and C_FindObjects block the event loop. A session pool larger than the
 * thread pool just queues. libuv reads UV_THREADPOOL_SIZE once, when the pool first starts, so
 * entry points (CLI, server) call this before anything touches fs, dns, crypto or pkcs11js.
 */
const LIBUV_DEFAULT = 4;

/** Sets UV_THREADPOOL_SIZE to fit `sessions` plus headroom for fs/crypto, unless it is already set. */
export function reserveThreadPool(sessions = 8): number {
  const current = Number(process.env.UV_THREADPOOL_SIZE);
  if (Number.isInteger(current) && current > 0) return current;
  const size = Math.min(1024, Math.max(LIBUV_DEFAULT, sessions + 2));
  process.env.UV_THREADPOOL_SIZE = String(size);
  return size;
}
