/**
 * Who is on the cluster now: the workers that announced themselves within the last few seconds (cluster-worker.ts
 * writes the records), for Settings → Compute, `nca-lab worker`'s peers and a run's slice count.
 */
import type { Redis } from 'ioredis';
import { keys, parseAnnouncement, WORKER_GONE_MS, type WorkerAnnouncement } from './protocol';

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
