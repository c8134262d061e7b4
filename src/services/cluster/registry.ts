/**
 * Who is on the cluster now: the workers that announced themselves within the last few seconds (cluster-worker.ts
 * writes the records), for Settings → Compute, `nca-lab worker`'s peers and a run's slice count.
 */
import type { Redis } from 'ioredis';
import type { ClusterStatus, ClusterWorkerInfo } from '../../shared/lab-api';
import { keys, parseAnnouncement, WORKER_GONE_MS, type WorkerAnnouncement } from './protocol';
import { connectRedis, ensureConnected, parseClusterUrl, probeRedis, type ClusterAddress } from './redis-url';
import { compatDifference, compatId, localCompat } from './compat';
import { counted } from '../../shared/words';

export interface ListedWorker extends WorkerAnnouncement {
  /** 'local': a master's own cores; 'remote': `nca-lab worker` */
  label: string;
}

export async function listWorkers(conn: Redis, now = Date.now()): Promise<ListedWorker[]> {
  // forget the ones that stopped beating (killed machines never say goodbye)
  await conn.zremrangebyscore(keys.workers, '-inf', now - WORKER_GONE_MS);
  const ids = await conn.zrangebyscore(keys.workers, now - WORKER_GONE_MS, '+inf');
  if (ids.length === 0) return [];
  const texts = await conn.mget(ids.map((id) => keys.worker(id)));
  const out: ListedWorker[] = [];
  for (const text of texts) {
    if (!text) continue;
    try {
      const raw = JSON.parse(text) as { label?: unknown };
      out.push({ ...parseAnnouncement(raw), label: raw.label === 'local' ? 'local' : 'remote' });
    } catch {
      // a record this lab cannot read is from another version of it: it will be refused on its own terms
    }
  }
  return out.sort((a, b) => a.host.localeCompare(b.host) || a.startedAt - b.startedAt);
}

/**
 * "Test connection" in Settings → Compute: can this lab reach the cluster, and who is on it — with the
 * workers that would refuse this lab's runs marked, and why.
 */
export async function clusterStatus(url: string): Promise<ClusterStatus> {
  let addr: ClusterAddress;
  try {
    addr = parseClusterUrl(url);
  } catch (err) {
    return { ok: false, address: url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@'), message: (err as Error).message, workers: [] };
  }
  const probe = await probeRedis(addr);
  if (!probe.ok) return { ok: false, address: addr.display, message: probe.message, workers: [] };
  const conn = connectRedis(addr, { name: 'nca-lab:settings', blocking: false });
  try {
    await ensureConnected(conn);
    const mine = localCompat();
    const myId = compatId(mine);
    const workers = (await listWorkers(conn)).map((w): ClusterWorkerInfo => {
      const why = w.compatId === myId ? null : compatDifference(w.compat, mine) ?? `compatibility ${w.compatId} there, ${myId} here`;
      return {
        id: w.id, host: w.host, cores: w.cores, concurrency: w.concurrency, mutantsPerSec: w.mutantsPerSec,
        labVersion: w.compat.labVersion, kernel: w.compat.kernel, compatible: why === null, incompatibility: why,
        activity: w.activity, label: w.label,
      };
    });
    const slots = workers.filter((w) => w.compatible).reduce((a, w) => a + w.concurrency, 0);
    return {
      ok: true, address: addr.display, workers,
      message: `Redis ${probe.redisVersion}, ${probe.ms.toFixed(0)} ms to connect; ${counted(workers.length, 'worker')} (${counted(slots, 'job slot')} for this lab)`,
    };
  } catch (err) {
    return { ok: false, address: addr.display, message: (err as Error).message, workers: [] };
  } finally {
    conn.disconnect();
  }
}
