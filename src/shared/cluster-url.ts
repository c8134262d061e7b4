/**
 * The cluster's address: a `redis://` or `rediss://` (TLS) URL with an optional user and password, checked where
 * it enters (CLI flag, Settings → Compute, as the user types) with a message that names the part that is wrong,
 * and shown with the password masked wherever it is printed or kept in a run's record.
 *
 *   redis://:PASSWORD@host:6379        a password (Redis `requirepass`)
 *   redis://USER:PASSWORD@host:6379/2  an ACL user and database 2
 *   rediss://:PASSWORD@host:6380       the same over TLS
 */

export interface ClusterAddress {
  /** the URL as given (with its password): only for connecting */
  url: string;
  tls: boolean;
  host: string;
  port: number;
  db: number;
  hasPassword: boolean;
  /** the URL with the password masked: for logs, run.json and the window */
  display: string;
}

/** Parses and checks a cluster URL; throws an Error whose message names what is wrong. */
export function parseClusterUrl(text: string): ClusterAddress {
  const trimmed = text.trim();
  let u: URL;
  try {
    u = new URL(trimmed);
  } catch {
    throw new Error(`cluster URL "${maskedText(trimmed)}" is not a URL; expected redis://[:password@]host[:port][/db] or rediss://…`);
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new Error(`cluster URL scheme must be redis:// or rediss:// (TLS), got ${u.protocol}//`);
  }
  if (!u.hostname) throw new Error('cluster URL has no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`cluster URL port must be 1–65535, got "${u.port}"`);
  const path = u.pathname.replace(/^\//, '');
  const db = path === '' ? 0 : Number(path);
  if (!Number.isInteger(db) || db < 0 || db > 15) throw new Error(`cluster URL database (the path) must be 0–15, got "${path}"`);
  if (u.search || u.hash) throw new Error('cluster URL takes no query or fragment');
  const masked = new URL(u.href);
  if (masked.password) masked.password = '***';
  return {
    url: u.href, tls: u.protocol === 'rediss:', host: u.hostname, port, db,
    hasPassword: u.password !== '', display: masked.href.replace(/\/$/, ''),
  };
}

function maskedText(text: string): string {
  return text.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1:***@');
}

