/**
 * Fault injection, bad inputs to the command line: every run setting given a value it cannot take, every command
 * given a flag it does not know, and the refusals that used to write anyway (a queued run left by an unreachable
 * cluster, a failed run by a backend that does not load, a half import, experiments/ made by a refused
 * experiment, a study queued before its --out was found to be a file) or to read wrong (an empty --workspace, a
 * file as the workspace, /proc). Each is classified (helpers/bad-inputs.ts) and must be clear, with the watched
 * folders unchanged.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMANDS } from '../../../src/cli/commands/index';
import { nodeBackendProblem } from '../../../src/services/compute/backend';
import { LabStore } from '../../../src/services/store/lab-store';
import { packageRoot } from '../../../src/services/resources/package-paths';
import { RUN_CONFIG_FIELDS, configFromPreset, ncaConfigOf, type FieldSpec } from '../../../src/shared/training-config';
import { paramCount } from '../../../src/core/nca/config';
import { BadInputTally, badCli } from '../helpers/bad-inputs';
import { freePort, redisServerPath, startRedis, type Proc } from '../services/cluster/cluster-helpers';

// serve needs the built interface (npm run build); without it the serve case is skipped, saying so
const rendererBuilt = existsSync(join(packageRoot(), 'out', 'renderer', 'index.html'));
if (!rendererBuilt) console.log('faults-bad-inputs: out/renderer is not built; the serve case is skipped');
const base = mkdtempSync(join(tmpdir(), 'nca-faults-bad-inputs-'));
const ws = join(base, 'ws');
const store = new LabStore(ws);
const tally = new BadInputTally('cli bad inputs');
const aFile = join(base, 'a-file');
writeFileSync(aFile, 'not a folder');
let modelRun = '';

/** Refused, clearly, with `watch` (the workspace by default) unchanged. */
async function refused(argv: string[], cause: RegExp, watch: string[] = [ws]): Promise<string> {
  const r = await badCli(tally, argv, cause, watch);
  expect(r.verdict, `${argv.join(' ').slice(0, 200)}\n${r.text}`).toBe('clear');
  return r.text;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

beforeAll(async () => {
  // a run with a model, for grow and import
  const c = configFromPreset('thesis-es');
  const run = await store.createRun(c, { backend: null });
  await store.writeModel(run.id, new Float32Array(paramCount(ncaConfigOf(c))).fill(0.01), { config: c, generation: 0, loss: null });
  modelRun = run.id;
});

afterAll(() => {
  rmSync(base, { recursive: true, force: true });
  tally.report();
});

/** Values a setting of this kind cannot take, each with why. */
function badValues(f: FieldSpec): string[] {
  const out: string[] = [];
  if (f.kind === 'bool') return ['maybe', '2', ''];
  if (f.kind === 'choice') return ['bogus', '', (f.choices?.[0] ?? 'x').slice(0, -1) + 'Q'];
  // an empty value is "none" for a nullable setting (no limit), so it is bad only for the others
  out.push('abc', '0x10', ...(f.kind.startsWith('nullable') ? [] : ['']));
  if (f.kind === 'int' || f.kind === 'nullable-int') out.push('1.5');
  if (f.kind === 'number' || f.kind === 'nullable-number') out.push('1e999');
  if (f.min !== undefined) out.push(String(f.exclusiveMin ? f.min : f.min - 1));
  if (f.max !== undefined) out.push(String(f.max + 1));
  return out;
}

describe('every run setting refuses a value it cannot take, naming the setting', () => {
  for (const f of RUN_CONFIG_FIELDS) {
    it(f.path, async () => {
      const optimizer = f.optimizer ?? 'es';
      for (const value of badValues(f)) {
        // a value taken after all trains one generation, not for ever (the later --set of a path wins)
        await refused(['train', '--optimizer', optimizer, '--target', 'carrot-9', '--set', 'stop.maxGenerations=1', '--set', 'stop.maxSeconds=5',
          '--set', `${f.path}=${value}`, '--workspace', ws], new RegExp(escape(f.path)));
      }
    });
  }
});

describe('every command refuses a flag it does not know and a stray argument', () => {
  for (const name of Object.keys(COMMANDS)) {
    it(name, async () => {
      await refused([name, '--no-such-flag', '--workspace', ws], /Unknown option '--no-such-flag'/);
      await refused([name, '--workspace', ''], /--workspace needs a folder, got an empty value/);
      await refused([name, '--workspace', aFile], new RegExp(`--workspace ${escape(aFile)} is a file, not a folder`), [base]);
      await refused([name, '--workspace', join(aFile, 'ws')], new RegExp(`${escape(aFile)} is a file, not a folder`), [base]);
      await refused([name, '--workspace', 'a\nb'], /--workspace .* holds control characters/, [base]);
    });
  }
});

describe('refused commands write nothing', () => {
  it('train --cluster with nothing listening leaves no queued run', async () => {
    const port = await freePort();
    await refused(['train', '--target', 'carrot-9', '--cluster', `redis://127.0.0.1:${port}`, '--workspace', ws], new RegExp(`cannot reach the cluster \\(--cluster\\): redis://127\\.0\\.0\\.1:${port}: .*ECONNREFUSED.*nothing was started`));
    await refused(['experiment', '--suite', 'growth', '--models', modelRun, '--out', join(base, 'fig'), '--cluster', `redis://127.0.0.1:${port}`, '--workspace', ws], /cannot reach the cluster/, [ws, base]);
    // a sweep used to run its runs anyway (each failed) and report itself done
    await refused(['sweep', '--target', 'carrot-9', '--max-generations', '1', '--cluster', `redis://127.0.0.1:${port}`, '--workspace', ws], /cannot reach the cluster \(--cluster\)/);
    await refused(['sweep', 'resume', '20260101-120000-sweep-es-256-carrot-9-1a2b', '--cluster', `redis://127.0.0.1:${port}`, '--workspace', ws], /cannot reach the cluster \(--cluster\)/);
  });

  it('--backend tensorflow where tfjs-node does not load leaves no failed run', async () => {
    const problem = await nodeBackendProblem('tensorflow');
    if (problem === null) {
      console.log('faults-bad-inputs: tfjs-node loads here; the backend refusal is not exercised');
      return;
    }
    for (const optimizer of ['es', 'adam']) {
      await refused(['train', '--optimizer', optimizer, '--target', 'carrot-9', '--backend', 'tensorflow', '--workspace', ws], /--backend tensorflow cannot be used here: .*tfjs-node.*nothing was created/);
    }
    await refused(['resume', modelRun, '--backend', 'tensorflow', '--workspace', ws], /--backend tensorflow cannot be used here/);
    await refused(['worker', '--redis', 'redis://127.0.0.1:1', '--backend', 'tensorflow'], /--backend tensorflow cannot be used here/);
  });

  it('import of a good and a bad file imports neither', async () => {
    const bad = join(base, 'bad.json');
    writeFileSync(bad, '{}');
    await refused(['import', join(ws, 'runs', modelRun, 'model'), bad, '--workspace', ws], /bad\.json: unknown format: not an NCA Lab model/);
    await refused(['import', bad, join(ws, 'runs', modelRun, 'model'), '--workspace', ws], /bad\.json/);
    await refused(['import', join(ws, 'runs', modelRun, 'model'), join(base, 'missing.json'), '--workspace', ws], /missing\.json/);
  });

  it('a refused experiment makes neither experiments/ nor --out', async () => {
    const out = join(base, 'figures');
    const cases: [string[], RegExp][] = [
      [['--models', 'no-such-run'], /no-such-run/],
      [['--models', modelRun, '--clamp', 'bogus'], /--clamp/],
      [['--models', modelRun, '--repeats', '0'], /--repeats must be an integer from 1/],
      [['--models', modelRun, '--format', 'bmp'], /--format/],
      [['--models', modelRun, '--size', 'wide'], /--size/],
      [['--models', modelRun, '--colors', 'es=#zzz'], /colou?r/i],
      [['--models', modelRun, '--out', aFile], /is a file, not a folder/],
    ];
    for (const [flags, cause] of cases) {
      await refused(['experiment', '--suite', 'growth', '--out', out, ...flags, '--workspace', ws], cause, [ws, base]);
    }
  });

  it('reproduce --out FILE is refused before a run is queued', async () => {
    await refused(['reproduce', '--out', aFile, '--es-generations', '1', '--adam-iterations', '1', '--no-bench', '--workspace', ws],
      new RegExp(`cannot create the figure folder ${escape(aFile)}: ${escape(aFile)} is a file, not a folder`), [ws, base]);
    await refused(['reproduce', '--out', join(aFile, 'x'), '--quick', '--workspace', ws], /is a file, not a folder/, [ws, base]);
  });

  it.skipIf(!rendererBuilt)('serve on a port in use says so and leaves the workspace unmade', async () => {
    const busy: Server = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', () => r()));
    const port = (busy.address() as { port: number }).port;
    const fresh = join(base, 'serve-ws');
    try {
      const r = await badCli(tally, ['serve', '--port', String(port), '--workspace', fresh], new RegExp(`port ${port} on 127\\.0\\.0\\.1 is in use by another program; choose another with --port P`), [base]);
      expect(r.verdict, r.text).toBe('clear');
    } finally {
      busy.close();
    }
  });
});

describe('silently wrong values are refused', () => {
  it('a misspelt schedule kind', async () => {
    await refused(['train', '--optimizer', 'adam', '--target', 'carrot-9', '--set', 'adam.schedule.kind=constnt', '--workspace', ws], /adam\.schedule\.kind: must be one of constant, piecewise, got "constnt"/);
  });

  it('run names of 5,000 characters or with control characters', async () => {
    for (const name of ['x'.repeat(5000), 'a\u0007b', 'line\nbreak', 'tab\there', ' ']) {
      await refused(['train', '--target', 'carrot-9', '--name', name, '--workspace', ws], /--name must be a non-empty name of at most 200 characters without control characters/);
    }
  });

  it('grow: damage after the last step, a hidden channel the model lacks, a model.json of another format', async () => {
    const out = join(base, 'grow');
    mkdirSync(out, { recursive: true });
    await refused(['grow', modelRun, '--steps', '50', '--damage', 'thesis:bottom@80', '--workspace', ws], /--damage thesis:bottom@80 comes after update 80, past --steps 50, and would never be applied/, [ws, out]);
    await refused(['grow', modelRun, '--steps', '10', '--damage', 'thesis:2x2@5', '--damage', 'thesis:3x3@11', '--workspace', ws], /--damage thesis:3x3@11 comes after update 11, past --steps 10/, [ws, out]);
    for (const n of [13, 20, 60]) {
      await refused(['grow', modelRun, '--steps', '5', '--view', `hidden:${n}`, '--gif', join(out, 'g.gif'), '--workspace', ws], new RegExp(`--view hidden:${n}: .* has 12 hidden channels \\(hidden:1 to hidden:12\\)`), [ws, out]);
    }
    const folder = join(base, 'other-format');
    mkdirSync(folder, { recursive: true });
    const modelDir = join(ws, 'runs', modelRun, 'model');
    const json = JSON.parse(readFileSync(join(modelDir, 'model.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(folder, 'weights.bin'), readFileSync(join(modelDir, 'weights.bin')));
    for (const format of ['layers-model', 'graph-model', null, 7]) {
      writeFileSync(join(folder, 'model.json'), JSON.stringify({ ...json, format }));
      await refused(['grow', folder, '--steps', '5', '--workspace', ws], /model\.json: unknown format .*an NCA Lab model\.json says "format": "nca-lab-weights"/);
      await refused(['import', folder, '--workspace', ws], /unknown format/);
    }
  });
});

describe('errors name the real cause', () => {
  it('a workspace under /proc is refused at once, not a hang', async () => {
    await refused(['train', '--target', 'carrot-9', '--workspace', '/proc/1/x'], /cannot create the workspace's runs folder \/proc\/1\/x\/runs: (no permission to write in \/proc\/1|\/proc\/1 does not take new folders)/, [base]);
  });

  it('target --out where no file can be made names the file, not a temporary one', async () => {
    await refused(['target', 'carrot-9', '--out', '/proc/t.png'], /cannot write PNG \/proc\/t\.png: (\/proc does not exist or does not take new files \(ENOENT\)|no permission)/, [base]);
    await refused(['target', 'carrot-9', '--out', join(aFile, 't.png')], /is a file, not a folder/, [base]);
  });

  it('worker checks its flags before it connects', async () => {
    await refused(['worker', '--redis', 'redis://127.0.0.1:1', '--backend', 'bogus'], /--backend must be one of tensorflow, wasm, cpu, got "bogus"/);
    await refused(['worker', '--redis', 'redis://127.0.0.1:1', '--concurrency', '0'], /--concurrency must be an integer from 1/);
    await refused(['worker', '--redis', 'http://127.0.0.1:1'], /--redis: cluster URL scheme must be redis:\/\/ or rediss:\/\//);
  });
});

// a private Redis with a password: a wrong one is refused in Redis's words, before a run exists
const redisBinary = redisServerPath();
describe.skipIf(redisBinary === null)('a wrong Redis password', () => {
  let redis: Proc;
  let port = 0;
  beforeAll(async () => {
    port = await freePort();
    redis = await startRedis(port, ['--requirepass', 'right-password']);
  });
  afterAll(() => redis?.kill('SIGKILL'));

  it('train and experiment say the password was refused, and create nothing', async () => {
    const cause = /cannot reach the cluster \(--cluster\): .*(WRONGPASS|invalid password|invalid username-password)/;
    await refused(['train', '--target', 'carrot-9', '--cluster', `redis://:wrong@127.0.0.1:${port}`, '--workspace', ws], cause);
    await refused(['train', '--target', 'carrot-9', '--cluster', `redis://127.0.0.1:${port}`, '--workspace', ws], /cannot reach the cluster \(--cluster\): .*(NOAUTH|Authentication required)/);
    await refused(['experiment', '--suite', 'growth', '--models', modelRun, '--out', join(base, 'f2'), '--cluster', `redis://:wrong@127.0.0.1:${port}`, '--workspace', ws], cause, [ws, base]);
    await refused(['worker', '--redis', `redis://:wrong@127.0.0.1:${port}`], /cannot reach the cluster \(--redis\): .*(WRONGPASS|invalid)/);
  });
});
