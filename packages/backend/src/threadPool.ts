/*
 * libuv's thread pool (file system, DNS lookups, crypto) has 4 threads unless
 * UV_THREADPOOL_SIZE says otherwise, and reads it once, when the pool is first used.
 * The recorder's call journals make a durable write (O_DSYNC) every second per call:
 * with 4 threads at a few hundred calls, a new call's set-up (journal create, header
 * write, directory fsync) queues behind them (bench/README.md, "Cheaper finalization"). Imported first
 * by the backend entry points, before anything uses the pool; an explicit
 * UV_THREADPOOL_SIZE in the environment wins.
 */
export const DEFAULT_THREAD_POOL_SIZE = 16;

if (!process.env.UV_THREADPOOL_SIZE) {
  process.env.UV_THREADPOOL_SIZE = String(DEFAULT_THREAD_POOL_SIZE);
}
