/**
 * A private cluster for the tests: a redis-server on a free loopback port without persistence, and real
 * `nca-lab worker` processes, each with the lines it printed.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { cpSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const REPO = join(__dirname, '../../../..');

/** The redis-server binary, or null (the cluster tests then skip, saying so). */
export function redisServerPath(): string | null {
  const r = spawnSync('sh', ['-c', 'command -v redis-server'], { encoding: 'utf8' });
  const path = r.stdout.trim();
  return r.status === 0 && path ? path : null;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** A line-collecting child process: `waitFor(re)` resolves with the first line (past or future) that matches. */
export class Proc {
  readonly lines: string[] = [];
  private waiters: { re: RegExp; resolve(line: string): void }[] = [];
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess, readonly name: string) {
    let buf = '';
    const onData = (d: Buffer) => {
      buf += d.toString();
      const parts = buf.split('\n');
      buf = parts.pop()!;
      for (const line of parts) {
        this.lines.push(line);
        this.waiters = this.waiters.filter((w) => (w.re.test(line) ? (w.resolve(line), false) : true));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  }
  waitFor(re: RegExp, timeoutMs = 45_000): Promise<string> {
    const seen = this.lines.find((l) => re.test(l));
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name}: no line matching ${re} within ${timeoutMs} ms; last lines:\n${this.lines.slice(-15).join('\n')}`)), timeoutMs);
      this.waiters.push({ re, resolve: (l) => { clearTimeout(timer); resolve(l); } });
    });
  }
  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill(signal);
  }
}

export async function startRedis(port: number, extra: string[] = []): Promise<Proc> {
  const p = new Proc(spawn(redisServerPath()!, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...extra], { stdio: ['ignore', 'pipe', 'pipe'] }), `redis:${port}`);
  await p.waitFor(/Ready to accept connections/, 15_000);
  return p;
}

/** `nca-lab worker --redis URL --concurrency N` from the lab at `root` (this repository by default). */
export function startWorker(url: string, opts: { concurrency?: number; root?: string; name?: string } = {}): Proc {
  const root = opts.root ?? REPO;
  const child = spawn(process.execPath, [join(root, 'bin/nca-lab.js'), 'worker', '--redis', url, '--concurrency', String(opts.concurrency ?? 1)], {
    stdio: ['ignore', 'pipe', 'pipe'], cwd: root,
  });
  return new Proc(child, opts.name ?? 'worker');
}

/** Another copy of this lab whose package.json says another version: what a machine with an older install runs. */
export function labCopyWithVersion(dir: string, version: string): string {
  mkdirSync(dir, { recursive: true });
  for (const d of ['bin', 'src', 'resources']) cpSync(join(REPO, d), join(dir, d), { recursive: true });
  for (const f of ['tsconfig.json', 'tsconfig.base.json', 'tsconfig.node.json']) {
    try { cpSync(join(REPO, f), join(dir, f)); } catch { /* not every tsconfig exists */ }
  }
  const manifest = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as { version: string };
  manifest.version = version;
  writeFileSync(join(dir, 'package.json'), JSON.stringify(manifest, null, 2));
  symlinkSync(join(REPO, 'node_modules'), join(dir, 'node_modules'));
  return dir;
}
