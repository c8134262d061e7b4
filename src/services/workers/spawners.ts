/**
 * How the WorkerPool starts a worker process, behind one small interface (`WorkerHandle`), so the pool runs the
 * same under the CLI (Node's child_process.fork) and in the desktop app (Electron's utilityProcess, handed in
 * by the main process: this file imports nothing from Electron).
 *
 * Both transports copy messages by structured clone, so Float32Array payloads arrive as Float32Arrays.
 * Neither can move an ArrayBuffer between processes without a copy: a `transfer` list is passed on only
 * where the transport knows what to do with it (utilityProcess: MessagePortMain objects) and ignored by fork.
 */
import { fork } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { packageRoot } from '../resources/package-paths';
import { isWorkerMessage, type ParentMessage, type WorkerMessage } from './protocol';
import { bundledWorker } from './dev-worker-bundle';

/** One running worker process, as the pool sees it. */
export interface WorkerHandle {
  /** undefined until the process has started (utilityProcess) or if it never could */
  readonly pid: number | undefined;
  send(message: ParentMessage, transfer?: readonly unknown[]): void;
  onMessage(listener: (message: WorkerMessage) => void): void;
  /** called once, after the process has ended and its output has been read */
  onExit(listener: (code: number | null, signal: NodeJS.Signals | null) => void): void;
  kill(signal?: NodeJS.Signals): void;
  /** the end of what the worker wrote to stdout/stderr, for error messages */
  outputTail(): string;
}

/** Starts worker number `slot` (0-based; a replacement keeps the slot of the worker it replaces). */
export type WorkerSpawner = (info: WorkerSpawnInfo) => WorkerHandle;

export interface WorkerSpawnInfo {
  slot: number;
  /** Node flags this pool's workers need beyond the spawner's own (WorkerPoolOptions.nodeFlags) */
  nodeFlags?: readonly string[];
}

/**
 * The Node flags of a worker that only evaluates ES slices (the lab's budget for an ES worker: under 80 MB). A slice's garbage is
 * small and short-lived (the chunk's results; the noise buffer is reused), so a 2 MB young generation is
 * enough; V8's default lets each semi-space grow to 16 MB, and a worker at population 1000 kept ≈ 15 MB of it
 * resident. bench es, 15×15, 2 workers, 6 runs alternating with and without (2026-12-03, 2-core machine, load
 * ≈ 2.5): RSS 80.2–81.6 → 64.8–66.9 MB at population 1000, generations/s 5.22 → 5.02 on average (−4 %, within
 * the machine's run-to-run spread of ±8 %); at population 40, 66 → 62 MB and 99 → 103 generations/s. 1 MB gave
 * 61–64 MB but ≈ 9 % fewer generations/s at population 1000.
 */
export const ES_WORKER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

export interface SpawnerOptions {
  /** the worker's entry module; defaults to `defaultWorkerEntry()` */
  entry?: string;
  /** extra Node flags for the worker (the parent's own execArgv is NOT inherited: a parent's `--inspect` port would
   *  make every worker fail to start) */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  /** echo the workers' stdout and stderr to this process's stderr (default true). Worker output never goes to this
   *  process's stdout, which `nca-lab … --json` keeps for JSON lines. */
  echoOutput?: boolean;
  /** instead of echoing: each whole line the workers write goes here (the CLI prints it above its progress bar,
   *  so a worker's start-up message never overwrites the bar) */
  onOutputLine?: (line: string) => void;
}

const OUTPUT_TAIL_CHARS = 4096;

/**
 * The worker entry that matches how this code is running: src/worker/index.ts from the TypeScript sources (CLI,
 * tests; forkSpawner runs it as a plain-JavaScript bundle, see dev-worker-bundle.ts), out/worker/worker.js when
 * running built code (`npm run build`: scripts/build-worker.mjs builds it apart from main).
 */
export function defaultWorkerEntry(): string {
  const root = packageRoot();
  const fromSources = fileURLToPath(import.meta.url).endsWith('.ts');
  const entry = fromSources ? join(root, 'src/worker/index.ts') : join(root, 'out/worker/worker.js');
  if (!existsSync(entry) && !fromSources) {
    throw new Error(`the worker entry ${entry} is missing: run \`npm run build\` first`);
  }
  return entry;
}

/** `--import=<tsx's ESM loader>` as an absolute file URL, so it resolves whatever the worker's working directory. */
export function tsxImportFlag(): string {
  const require = createRequire(import.meta.url);
  return `--import=${pathToFileURL(require.resolve('tsx')).href}`;
}

/**
 * Workers as Node child processes (the CLI, `nca-lab serve`, tests). The lab's own worker from the sources runs as
 * a bundle (dev-worker-bundle.ts: no tsx in the worker, ≈37 MB less); any other TypeScript entry (test workers)
 * through tsx.
 */
export function forkSpawner(options: SpawnerOptions = {}): WorkerSpawner {
  const entry = options.entry ?? defaultWorkerEntry();
  const labWorkerFromSources = entry === join(packageRoot(), 'src/worker/index.ts');
  const execArgv = [...(options.execArgv ?? [])];
  if (/\.[cm]?ts$/.test(entry) && !labWorkerFromSources) execArgv.unshift(tsxImportFlag());
  const echo = options.onOutputLine ?? options.echoOutput ?? true;

  return ({ nodeFlags }) => {
    const child = fork(labWorkerFromSources ? bundledWorker(entry, packageRoot()) : entry, [], {
      execArgv: [...execArgv, ...(nodeFlags ?? [])],
      env: options.env ?? process.env,
      serialization: 'advanced',
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    });
    const tail = new OutputTail(echo);
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));

    const exitListeners: ((code: number | null, signal: NodeJS.Signals | null) => void)[] = [];
    let exited = false;
    const exit = (code: number | null, signal: NodeJS.Signals | null) => {
      if (exited) return;
      exited = true;
      for (const l of exitListeners) l(code, signal);
    };
    // 'close' rather than 'exit': by then the output pipes are drained, so the tail holds the worker's last words
    child.on('close', exit);
    child.on('error', (err) => {
      tail.push(`[nca-lab] worker process error: ${err.message}\n`);
      // a process that never started emits no 'close'
      if (child.pid === undefined) setImmediate(() => exit(null, null));
    });

    return {
      get pid() {
        return child.pid;
      },
      send(message) {
        if (!child.connected) return; // it has exited or is exiting: its 'close' follows
        child.send(message, undefined, {}, () => {
          // a send that fails means the channel closed under us; the exit handler deals with the job
        });
      },
      onMessage(listener) {
        child.on('message', (m: unknown) => {
          if (isWorkerMessage(m)) listener(m);
        });
      },
      onExit(listener) {
        exitListeners.push(listener);
      },
      kill(signal = 'SIGTERM') {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      },
      outputTail: () => tail.text(),
    };
  };
}

/** The parts of Electron's `utilityProcess` module the spawner uses (structural, so no Electron import here). */
export interface UtilityProcessModule {
  fork(modulePath: string, args?: string[], options?: UtilityForkOptions): UtilityProcessChild;
}
export interface UtilityForkOptions {
  env?: NodeJS.ProcessEnv;
  execArgv?: string[];
  serviceName?: string;
  stdio?: 'pipe' | 'ignore' | 'inherit';
}
export interface UtilityProcessChild {
  readonly pid: number | undefined;
  readonly stdout: NodeJS.ReadableStream | null;
  readonly stderr: NodeJS.ReadableStream | null;
  postMessage(message: any, transfer?: any[]): void;
  kill(): boolean;
  on(event: 'message', listener: (message: any) => void): this;
  on(event: 'exit', listener: (code: number) => void): this;
}

/**
 * Workers as Electron utility processes (the desktop app's main process):
 * `new WorkerPool({ size, spawn: utilityProcessSpawner(utilityProcess, workerJs) })`.
 */
export function utilityProcessSpawner(
  utilityProcess: UtilityProcessModule,
  entry: string = defaultWorkerEntry(),
  options: Omit<SpawnerOptions, 'entry'> & { serviceName?: string } = {},
): WorkerSpawner {
  const echo = options.onOutputLine ?? options.echoOutput ?? true;
  return ({ slot, nodeFlags }) => {
    const child = utilityProcess.fork(entry, [], {
      env: options.env ?? process.env,
      execArgv: [...(options.execArgv ?? []), ...(nodeFlags ?? [])],
      serviceName: `${options.serviceName ?? 'NCA Lab worker'} ${slot + 1}`,
      stdio: 'pipe',
    });
    const tail = new OutputTail(echo);
    child.stdout?.on('data', (chunk: Buffer) => tail.push(chunk));
    child.stderr?.on('data', (chunk: Buffer) => tail.push(chunk));
    let pid: number | undefined;
    let exited = false;
    return {
      get pid() {
        // Electron clears child.pid once it has exited; the pool still wants to say which process ended
        return (pid = child.pid ?? pid);
      },
      send(message, transfer) {
        if (exited) return;
        child.postMessage(message, transfer && transfer.length > 0 ? [...transfer] : undefined);
      },
      onMessage(listener) {
        child.on('message', (m: unknown) => {
          if (isWorkerMessage(m)) listener(m);
        });
      },
      onExit(listener) {
        child.on('exit', (code) => {
          exited = true;
          listener(code, null); // utilityProcess reports no signal
        });
      },
      kill(signal = 'SIGTERM') {
        if (exited) return;
        pid = child.pid ?? pid;
        // utilityProcess.kill() always sends SIGTERM; a stuck worker gets the signal asked for
        if (signal !== 'SIGTERM' && pid !== undefined) {
          try {
            process.kill(pid, signal);
            return;
          } catch {
            // already gone, or the platform refuses: fall back to Electron's own kill
          }
        }
        child.kill();
      },
      outputTail: () => tail.text(),
    };
  };
}

/** The last few KB of a worker's output, optionally echoed to this process's stderr as it arrives. */
class OutputTail {
  private buffer = '';
  private partial = '';
  constructor(private readonly echo: boolean | ((line: string) => void)) {}

  push(chunk: Buffer | string): void {
    if (typeof this.echo === 'function') {
      const lines = (this.partial + chunk.toString()).split(/\r?\n/);
      this.partial = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') this.echo(line);
    } else if (this.echo) process.stderr.write(chunk);
    this.buffer += chunk.toString();
    if (this.buffer.length > 2 * OUTPUT_TAIL_CHARS) this.buffer = this.buffer.slice(-OUTPUT_TAIL_CHARS);
  }

  text(): string {
    return this.buffer.slice(-OUTPUT_TAIL_CHARS);
  }
}
