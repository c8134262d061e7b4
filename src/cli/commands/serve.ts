/**
 * `nca-lab serve`: the lab's UI in a browser (docs/architecture.md, "Testing without Electron"): the built renderer
 * and the LabApi over a WebSocket, bound to 127.0.0.1, behind a random token printed once. Runs until Ctrl+C.
 * On a remote many-core machine: `ssh -L 8080:127.0.0.1:8080 host nca-lab serve --port 8080`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { startBridgeServer } from '../../services/bridge/server';
import { LabService } from '../../services/lab/lab-service';
import { packageRoot } from '../../services/resources/package-paths';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { makeFolder } from '../../services/store/writable-dir';
import { UsageError, type Command } from '../command';
import { integerFlag, parseCommandArgs } from '../flags';
import { counted } from '../../shared/words';

export const serveCommand: Command = {
  summary: "the lab's UI in a browser, bound to 127.0.0.1 with an access token (Ctrl+C stops it)",
  usage: `nca-lab serve [--port P] [--workspace DIR]

Serves the lab's interface and its API on http://127.0.0.1:P (P = 0, the default, picks a free port) and
prints the address to open; it carries a random access token (?token=…) that the page and its WebSocket
need. Only this machine can connect; from another one, forward the port (ssh -L P:127.0.0.1:P host).
Needs the built interface (npm run build). Stops on Ctrl+C (SIGINT) or SIGTERM; runs still training are
paused first (each writes a checkpoint) and can be resumed from the interface or with \`nca-lab resume\`.
Runs that a crash left marked running are marked interrupted at start (resumable from their checkpoint).

  --port P          TCP port, 0 to 65535 (0: any free port)

Environment: NCA_LAB_QUICK_BUDGET=seconds=S,es=N,adam=N sets the quick budget of Compare → "Reproduce the study"
(default: 15 s per training), e.g. es=50,adam=50 for a demonstration that ends in a few minutes.`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { port: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
    const port = integerFlag('port', values.port, 0, 65535) ?? 0;
    const rendererDir = join(packageRoot(), 'out', 'renderer');
    if (!existsSync(join(rendererDir, 'index.html'))) {
      throw new Error(`the interface is not built (${rendererDir} has no index.html): run \`npm run build\` first`);
    }
    const workspace = resolveWorkspaceDir(values.workspace);

    // the port is taken before the workspace is touched: a refused serve (port in use) writes nothing
    const service = new LabService({ workspace });
    let server;
    try {
      server = await startBridgeServer({ service, rendererDir, port });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'EADDRINUSE') {
        throw new Error(`port ${port} on 127.0.0.1 is in use by another program; choose another with --port P (0 picks a free one)`, { cause: err });
      }
      throw err;
    }
    try {
      await makeFolder(workspace, 'the workspace');
      await service.start();
    } catch (err) {
      await server.close();
      throw err;
    }
    // Pick the backend now, so the first page load does not wait for it and a failure shows here too.
    const info = await service.systemInfo();
    io.out(`NCA Lab ${info.version} is serving ${workspace} (tfjs backend: ${info.backend})`);
    io.out(`Open ${server.url}`);
    io.out('Press Ctrl+C to stop.');

    const signal = await new Promise<NodeJS.Signals>((resolve) => {
      process.once('SIGINT', () => resolve('SIGINT'));
      process.once('SIGTERM', () => resolve('SIGTERM'));
    });
    const active = service.activeRunIds();
    if (active.length > 0) io.err(`nca-lab serve: pausing ${counted(active.length, 'run')} (checkpoint first)…`);
    await service.close();
    if (active.length > 0) io.err(`nca-lab serve: paused ${active.length === 1 ? 'it' : 'them'}; closing the server…`);
    await server.close();
    io.err(`nca-lab serve: stopped (${signal})`);
    return 0;
  },
};
