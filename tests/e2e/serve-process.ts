/** Runs the real `nca-lab serve` (bin/nca-lab.js) as a child process and reads the address it prints. */
import { spawn } from 'node:child_process';
import { join } from 'node:path';

export interface ServeProcess {
  url: string;
  /** stops it with SIGINT (Ctrl+C) and resolves to its exit code; SIGKILL after 10 s */
  stop(): Promise<number | null>;
  /** kills it at once with SIGKILL (a crash, a power cut) and resolves once it is gone */
  crash(): Promise<void>;
  output(): string;
}

export async function startServe(workspace: string, env: NodeJS.ProcessEnv = {}): Promise<ServeProcess> {
  const root = process.cwd();
  const child = spawn(process.execPath, [join(root, 'bin', 'nca-lab.js'), 'serve', '--port', '0', '--workspace', workspace], {
    cwd: root,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, ...env },
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`nca-lab serve printed no address within 60 s:\n${output}`)), 60_000);
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Open (http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`nca-lab serve exited with code ${code}:\n${output}`));
    });
  });
  return {
    url,
    output: () => output,
    crash: async () => {
      child.kill('SIGKILL');
      await exited;
    },
    stop: async () => {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}
