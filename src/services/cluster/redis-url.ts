/**
 * Connections to the cluster's Redis (ioredis), and the "test connection" probe. The address itself is parsed in
 * shared/cluster-url.ts, where the window can check it as the user types.
 */
import { Redis, type RedisOptions } from 'ioredis';
import type { ClusterAddress } from '../../shared/cluster-url';
import { messageOf } from '../../shared/validate';

export { parseClusterUrl, type ClusterAddress } from '../../shared/cluster-url';

/**
 * ioredis options for the lab's connections: reconnect forever (a worker outlives a Redis restart; the master
 * decides itself when an outage pauses its run), and never hold a command for ever while disconnected unless
 * `blocking` (BullMQ's workers need maxRetriesPerRequest null).
 */
export function redisOptions(opts: { name: string; blocking: boolean }): RedisOptions {
  return {
    connectionName: opts.name,
    maxRetriesPerRequest: opts.blocking ? null : 1,
    enableOfflineQueue: opts.blocking,
    connectTimeout: 5_000,
    // 100 ms, 200 ms, … then every 1 s: a restarted Redis is found again within a second
    retryStrategy: (times: number) => Math.min(times * 100, 1_000),
    // TLS comes from the rediss:// scheme (ioredis reads it from the URL)
  };
}

/** A new connection to the cluster (lazy: it connects on the first command). */
export function connectRedis(addr: ClusterAddress, opts: { name: string; blocking: boolean }): Redis {
  const r = new Redis(addr.url, { ...redisOptions(opts), lazyConnect: true });
  // ioredis reports every failed reconnect as an 'error' event; the lab reports outages itself
  r.on('error', () => undefined);
  return r;
}

/**
 * "Test connection" (Settings → Compute, `nca-lab worker` at start): connects, authenticates, PINGs and reads the
 * server version. Never throws: the result says what failed, in the words Redis or the network used (not the
 * address, which the caller shows beside it).
 */
export async function probeRedis(addr: ClusterAddress, timeoutMs = 4_000): Promise<{ ok: true; redisVersion: string; ms: number } | { ok: false; message: string }> {
  const r = new Redis(addr.url, { ...redisOptions({ name: 'nca-lab:probe', blocking: false }), lazyConnect: true, retryStrategy: () => null, connectTimeout: timeoutMs });
  let lastError = '';
  r.on('error', (err: Error) => { lastError = err.message; });
  const t0 = performance.now();
  try {
    await r.connect();
    await r.ping();
    const info = await r.info('server');
    const version = /redis_version:([^\r\n]+)/.exec(info)?.[1] ?? 'unknown';
    return { ok: true, redisVersion: version, ms: performance.now() - t0 };
  } catch (err) {
    const message = messageOf(err);
    return { ok: false, message: lastError && !message.includes(lastError) ? `${message} (${lastError})` : message };
  } finally {
    r.disconnect();
  }
}

/** Connects a lazy connection (or waits for one that something else, such as BullMQ, already started). */
export async function ensureConnected(r: Redis, timeoutMs = 10_000): Promise<void> {
  if (r.status === 'ready') return;
  if (r.status === 'wait') {
    // ioredis rejects a refused AUTH as "Connection is closed"; the reason (WRONGPASS, ECONNREFUSED) came as an error event
    let lastError = '';
    const onError = (err: Error) => { lastError = err.message; };
    r.on('error', onError);
    try {
      await r.connect();
    } catch (err) {
      const message = messageOf(err);
      throw new Error(lastError && !message.includes(lastError) ? `${message} (${lastError})` : message, { cause: err });
    } finally {
      r.off('error', onError);
    }
    return;
  }
  await new Promise<void>((resolve, reject) => {
    let lastError = '';
    const onError = (err: Error) => { lastError = err.message; };
    const timer = setTimeout(() => { cleanup(); reject(new Error(lastError || `no answer within ${timeoutMs / 1000} s`)); }, timeoutMs);
    const onReady = () => { cleanup(); resolve(); };
    const cleanup = () => { clearTimeout(timer); r.off('ready', onReady); r.off('error', onError); };
    r.on('ready', onReady);
    r.on('error', onError);
  });
}
