/** `nca-lab runs`: the runs in the workspace (docs/architecture.md, "The command line"), newest first. */
import type { RunRecord } from '../../shared/run-record';
import { LabStore } from '../../services/store/lab-store';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { runLockOwner } from '../../services/training/run-lock';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';
import type { Optimizer } from '../../shared/training-config';

/** One run as `runs --json` prints it (one object per line) and as the table shows it. */
export interface RunSummary {
  id: string;
  name: string;
  optimizer: Optimizer;
  preset: string;
  target: string;
  status: RunRecord['status'];
  statusReason: string | null;
  generation: number;
  evaluations: number;
  wallSeconds: number;
  bestLoss: number | null;
  lastLoss: number | null;
  bestEval40: number | null;
  backend: string | null;
  checkpointGeneration: number | null;
  createdAt: string;
}

export function runSummary(r: RunRecord): RunSummary {
  const p = r.progress;
  return {
    id: r.id, name: r.name, optimizer: r.optimizer, preset: r.preset, target: r.config.target.name, status: r.status,
    statusReason: r.statusReason, generation: p.generation, evaluations: p.evaluations, wallSeconds: p.wallSeconds,
    bestLoss: p.bestLoss, lastLoss: p.lastLoss, bestEval40: p.bestEval40, backend: r.backend,
    checkpointGeneration: r.checkpointGeneration, createdAt: r.createdAt,
  };
}

/** 42s, 12m05s, 3h02m, 2d04h. */
export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const p = (n: number) => String(n).padStart(2, '0');
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m${p(s % 60)}s`;
  if (s < 86400) return `${Math.floor(s / 3600)}h${p(Math.floor((s % 3600) / 60))}m`;
  return `${Math.floor(s / 86400)}d${p(Math.floor((s % 86400) / 3600))}h`;
}

function formatLoss(x: number | null): string {
  if (x === null) return '-';
  return Number.isFinite(x) ? x.toExponential(3) : String(x);
}

/** Longest name the table shows whole; a longer one is cut with "…" (`--json` and `--id` give it whole). */
const TABLE_NAME_MAX = 40;

/** A run's name for the table: runs of spaces made one (the columns are two spaces apart), cut at TABLE_NAME_MAX. */
function tableName(name: string): string {
  const one = name.replace(/\s+/g, ' ').trim() || '-';
  return one.length > TABLE_NAME_MAX ? `${one.slice(0, TABLE_NAME_MAX - 1)}…` : one;
}

// JSON cannot hold NaN/Infinity: in --json output they are strings, as in run.json.
function jsonNumber(_key: string, v: unknown): unknown {
  return typeof v === 'number' && !Number.isFinite(v) ? String(v) : v;
}

export const runsCommand: Command = {
  summary: 'list the runs in the workspace with status, generation, best/last loss, backend',
  usage: `nca-lab runs [--json] [--id RUN_ID] [--workspace DIR]

Lists the workspace's runs, newest first: id, name, optimizer, preset, target, status, generation (ES) or
iteration (Adam), best and last training loss, best 40-step growth loss, training wall time, backend.
A run folder whose run.json cannot be read is named on stderr and skipped; nothing is changed on disk.

  --json        one JSON object per run and line (NaN/Infinity losses as strings)
  --id RUN_ID   print that run's whole record (run.json) as one JSON object`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' }, id: { type: 'string' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
    const store = new LabStore(resolveWorkspaceDir(values.workspace));
    if (values.id !== undefined) {
      io.out(JSON.stringify(await store.getRun(values.id), jsonNumber));
      return 0;
    }
    const { runs, problems } = await store.scanRuns();
    for (const p of problems) io.err(`nca-lab runs: skipped ${p.dir}: ${p.message}`);
    const summaries = await Promise.all(runs.map(async (r) => {
      const s = runSummary(r);
      // run.json says running, but no live process holds the run's lock: it was cut off (shown, not written)
      if (s.status === 'running' && (await runLockOwner(store.runDir(r.id))) === null) {
        s.status = 'interrupted';
        s.statusReason = 'its run.json says running, but no live process is training it (killed, crashed, or the disk was full); ' +
          (r.checkpointGeneration === null ? '`nca-lab resume` restarts it from the beginning' : `\`nca-lab resume\` continues from generation ${r.checkpointGeneration}`);
      }
      return s;
    }));
    if (values.json) {
      for (const s of summaries) io.out(JSON.stringify(s, jsonNumber));
      return 0;
    }
    if (summaries.length === 0) {
      io.out(`no runs in ${store.runsDir}`);
      return 0;
    }
    const header = ['id', 'name', 'optimizer', 'preset', 'target', 'status', 'generation', 'best loss', 'last loss', 'best eval40', 'wall', 'backend'];
    const rows = summaries.map((s) => [
      s.id, tableName(s.name), s.optimizer, s.preset, s.target, s.status, String(s.generation), formatLoss(s.bestLoss), formatLoss(s.lastLoss),
      formatLoss(s.bestEval40), formatDuration(s.wallSeconds), s.backend ?? '-',
    ]);
    const numeric = new Set([6, 7, 8, 9, 10]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (numeric.has(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
    io.out(line(header));
    for (const r of rows) io.out(line(r));
    return 0;
  },
};
