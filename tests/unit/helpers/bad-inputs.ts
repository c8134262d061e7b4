/**
 * The fault suite's bad-input tally: every bad input a fault test tries is classified by what the lab did with
 * it, and each file reports its counts (printed, and summed over the files by fault-summary.ts):
 *
 *   clear          refused, with a message that names the problem (the test's expected cause) and no raw errno
 *                  text, temporary file name or stack
 *   unclear        refused, but the message does not name the problem
 *   silent         accepted (exit 0, or a result): the bad value was taken for something else
 *   crash          an exception escaped the command, or an exit code other than 1 or 2
 *   files changed  refused, but files in the workspace (or the folders the test watches) changed anyway
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from './cli-run';

export const VERDICTS = ['clear', 'unclear', 'silent', 'crash', 'files changed'] as const;
export type Verdict = (typeof VERDICTS)[number];

/** What a user must never have to read: a raw system error, a temporary file's name, a stack frame. */
export const UNCLEAR_TEXT = /ENOENT: no such file or directory, (mkdir|open|scandir)|ENOTDIR: |EISDIR: |EADDRINUSE|\.tmp\b|\n\s+at .*:\d+|Cannot read properties|is not a function|\bundefined\b|\[object Object\]/;

export class BadInputTally {
  readonly counts: Record<Verdict, number> = { clear: 0, unclear: 0, silent: 0, crash: 0, 'files changed': 0 };
  constructor(readonly name: string) {}
  add(v: Verdict): void {
    this.counts[v]++;
  }
  get total(): number {
    return VERDICTS.reduce((n, v) => n + this.counts[v], 0);
  }
  line(): string {
    return `${this.name}: ${this.total} bad inputs → ${VERDICTS.map((v) => `${v} ${this.counts[v]}`).join(' / ')}`;
  }
  /** Prints the line and leaves the counts for the suite's summary (fault-summary.ts). */
  report(extra: Record<string, number> = {}): void {
    console.log(`fault suite, ${this.line()}`);
    recordFaultCounts(this.name, { badInputs: { ...this.counts }, ...extra });
  }
}

/** Where each fault file leaves its counts for fault-summary.ts (one folder per vitest run). */
export function faultCountsDir(): string {
  return join(tmpdir(), 'nca-lab-fault-counts', process.env.NCA_FAULT_RUN ?? 'standalone');
}

export function recordFaultCounts(name: string, counts: object): void {
  mkdirSync(faultCountsDir(), { recursive: true });
  writeFileSync(join(faultCountsDir(), `${name.replace(/[^A-Za-z0-9_-]+/g, '-')}.json`), JSON.stringify(counts));
}

/** Every file under `dirs` with its size and content hash (folders listed too): equal listings, nothing changed. */
export function snapshot(dirs: readonly string[]): string {
  const lines: string[] = [];
  const walk = (p: string) => {
    const st = statSync(p);
    if (st.isDirectory()) {
      lines.push(`${p}/`);
      for (const n of readdirSync(p).sort()) walk(join(p, n));
    } else {
      lines.push(`${p} ${st.size} ${createHash('sha1').update(readFileSync(p)).digest('hex')}`);
    }
  };
  for (const d of dirs) if (existsSync(d)) walk(d);
  return lines.join('\n');
}

export interface Outcome {
  verdict: Verdict;
  code: number | null;
  text: string;
}

/** Classifies one refusal: what came back, whether it names `cause`, and whether the watched folders changed. */
export function classify(r: { code: number | null; text: string; threw?: unknown }, cause: RegExp, changed: boolean): Verdict {
  if (r.threw !== undefined || (r.code !== 0 && r.code !== 1 && r.code !== 2)) return 'crash';
  if (r.code === 0) return 'silent';
  if (changed) return 'files changed';
  if (!cause.test(r.text) || UNCLEAR_TEXT.test(r.text)) return 'unclear';
  return 'clear';
}

/** Runs the CLI with a bad input, classifies and counts the outcome; `watch` are the folders that must not change. */
export async function badCli(tally: BadInputTally, argv: string[], cause: RegExp, watch: readonly string[]): Promise<Outcome> {
  const before = snapshot(watch);
  let code: number | null = null;
  let text: string;
  let threw: unknown;
  try {
    const r = await runCli(...argv);
    code = r.code;
    text = [...r.err, ...r.out].join('\n');
  } catch (err) {
    threw = err;
    text = String((err as Error)?.stack ?? err);
  }
  const after = snapshot(watch);
  const verdict = classify({ code, text, threw }, cause, after !== before);
  tally.add(verdict);
  if (after !== before) {
    const was = new Set(before.split('\n'));
    const now = new Set(after.split('\n'));
    text += `\nchanged: ${[...now].filter((l) => !was.has(l)).join(', ')}; gone: ${[...was].filter((l) => !now.has(l)).join(', ')}`;
  }
  return { verdict, code, text };
}
