/**
 * Settings → Compute's "Test connection" shows `address: message`: the message says what failed without
 * repeating the address (it read "redis://h:6399: redis://h:6399: Connection is closed…"), and never the password.
 */
import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { clusterStatus } from '../../../../src/services/cluster/registry';

/** A port nothing listens on (taken, then let go). */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

describe('clusterStatus', () => {
  it('names the address once, beside what failed', async () => {
    const port = await closedPort();
    const status = await clusterStatus(`redis://:secret@127.0.0.1:${port}`);
    expect(status.ok).toBe(false);
    expect(status.address).toBe(`redis://:***@127.0.0.1:${port}`);
    expect(status.message).toMatch(/ECONNREFUSED/);
    expect(status.message).not.toMatch(/redis:\/\//);
    expect(status.message).not.toMatch(/secret/);
  });
});
