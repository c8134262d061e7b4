/**
 * A cluster flag (`train --cluster`, `experiment --cluster`, `worker --redis`): the URL checked, then the Redis
 * asked once (connect, authenticate, PING) before the command creates or starts anything, so an unreachable
 * cluster or a wrong password is refused in Redis's own words (WRONGPASS, ECONNREFUSED) and leaves nothing behind.
 */
import { parseClusterUrl, probeRedis, type ClusterAddress } from '../services/cluster/redis-url';
import { UsageError } from './command';

/** The URL as an address; a malformed one is a UsageError naming the flag. */
export function clusterAddressFlag(flag: string, url: string): ClusterAddress {
  try {
    return parseClusterUrl(url);
  } catch (err) {
    throw new UsageError(`${flag}: ${(err as Error).message}`);
  }
}

/** Parses and probes; resolves to the address and the server's version when Redis answered. */
export async function checkClusterFlag(flag: string, url: string): Promise<{ addr: ClusterAddress; redisVersion: string }> {
  const addr = clusterAddressFlag(flag, url);
  const probe = await probeRedis(addr);
  if (!probe.ok) throw new Error(`cannot reach the cluster (${flag}): ${addr.display}: ${probe.message}; nothing was started`);
  return { addr, redisVersion: probe.redisVersion };
}
