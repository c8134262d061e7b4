/**
 * A run's metrics log (`runs/<id>/metrics.jsonl`): one JSON object per line, appended, never rewritten in place.
 *
 * A line counts only once its newline is on disk. A crash in the middle of an append can leave a torn last line
 * (no newline): readers ignore it, and the next append first cuts it off, so new rows never get glued onto a
 * fragment. Each append is one write of whole lines to a file opened in append mode, so earlier lines are never
 * touched. Every append is fsynced before it returns, like a checkpoint, and a trainer appends its rows before
 * each checkpoint: so a checkpoint on disk always has its rows on disk, even after a power cut. An append that
 * fails (a full disk) cuts the file back to its size before the append, so no torn row is left behind, and says so.
 * Rewriting (`truncateMetricRowsAfter`) goes through a temporary file and a rename, so it either happens entirely
 * or not at all.
 */
import { open, readFile } from 'node:fs/promises';
import { metricRowToJson, parseMetricRow, type MetricRow } from '../../shared/run-record';
import { isDiskFull, StoreWriteError, writeBytesAtomic, writeError, type StoreFs } from './atomic-file';
import { messageOf } from '../../shared/validate';
import { counted } from '../../shared/words';

export const METRICS_FILE = 'metrics.jsonl';

/** A malformed line that is not the last one: the log was damaged or edited by hand. */
export class MetricsFormatError extends Error {
  override name = 'MetricsFormatError';
  constructor(readonly file: string, readonly line: number, problem: string) {
    super(`metrics log ${file}, line ${line}: ${problem}`);
  }
}

/** How far back to look for the newline before a torn fragment (a row is ~200 bytes; rows of a batch less than this). */
const TAIL_SCAN_BYTES = 64 * 1024;

/** Rows as the log's lines; a bad row (a generation of -1, a string loss) is refused with the field named. */
function rowsText(rows: MetricRow[]): string {
  return rows.map((r, i) => {
    try {
      return JSON.stringify(metricRowToJson(parseMetricRow(r))) + '\n';
    } catch (err) {
      throw new RangeError(`metrics row ${i}: ${(err as Error).message}`, { cause: err });
    }
  }).join('');
}

/** The log's size in bytes before and after an append (null: nothing was appended). */
export interface MetricsAppend {
  sizeBefore: number | null;
  sizeAfter: number | null;
}

/**
 * Appends rows as whole lines in one write. Rows are validated first: a bad row (a generation of -1, a
 * string loss) is refused with the field named, and nothing is written.
 */
export async function appendMetricRows(file: string, rows: MetricRow[]): Promise<MetricsAppend> {
  const bytes = Buffer.from(rowsText(rows), 'utf8');
  if (rows.length === 0) return { sizeBefore: null, sizeAfter: null };
  let fh;
  try {
    fh = await open(file, 'a+');
  } catch (err) {
    throw writeError(file, 'metrics log', err);
  }
  let before: number | null = null;
  try {
    await dropTornTail(fh);
    before = (await fh.stat()).size;
    let done = 0;
    while (done < bytes.length) {
      const { bytesWritten } = await fh.write(bytes, done, bytes.length - done, null);
      if (bytesWritten <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      done += bytesWritten;
    }
    await fh.sync();
    return { sizeBefore: before, sizeAfter: before + bytes.length };
  } catch (err) {
    // Cut back what this append wrote: truncating needs no free space, so the log ends on its last whole row.
    let restored = before === null;
    if (before !== null) restored = await fh.truncate(before).then(() => true, () => false);
    throw appendError(file, rows.length, err, restored);
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/** Why an append failed, and what is in the log now: its rows before the append (restored) or a torn tail. */
function appendError(file: string, rows: number, err: unknown, restored: boolean): StoreWriteError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const cause = isDiskFull(err) ? `the disk is full (${code})` : (messageOf(err));
  const state = restored
    ? 'the log was cut back to its rows before this append'
    : 'the log may end in a partial row, which readers ignore and the next append removes';
  return new StoreWriteError(`cannot append ${counted(rows, 'row')} to metrics log ${file}: ${cause}; ${state}` +
    (isDiskFull(err) ? '. Free some space and resume the run.' : ''), file, code, { cause: err });
}

/** Cuts a torn last line (bytes after the last newline) so the next append starts on a fresh line. */
async function dropTornTail(fh: Awaited<ReturnType<typeof open>>): Promise<void> {
  const { size } = await fh.stat();
  if (size === 0) return;
  const last = Buffer.alloc(1);
  await fh.read(last, 0, 1, size - 1);
  if (last[0] === 0x0a) return;
  // Find the last newline, scanning backwards in blocks.
  let end = size;
  while (end > 0) {
    const start = Math.max(0, end - TAIL_SCAN_BYTES);
    const block = Buffer.alloc(end - start);
    await fh.read(block, 0, block.length, start);
    const nl = block.lastIndexOf(0x0a);
    if (nl >= 0) {
      await fh.truncate(start + nl + 1);
      return;
    }
    end = start;
  }
  // No newline at all: the whole file is one torn line.
  await fh.truncate(0);
}

/** Complete lines of the log's text with their 1-based numbers; a torn last line (no newline) is left out. */
function completeLines(text: string): { line: number; text: string }[] {
  const parts = text.split('\n');
  parts.pop(); // after the last newline: '' for a clean file, the torn fragment otherwise
  return parts.map((t, i) => ({ line: i + 1, text: t })).filter((l) => l.text.trim() !== '');
}

function parseLine(file: string, line: number, text: string): MetricRow {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new MetricsFormatError(file, line, `not JSON (${(err as Error).message})`);
  }
  try {
    return parseMetricRow(json);
  } catch (err) {
    throw new MetricsFormatError(file, line, (err as Error).message);
  }
}

/** Every complete row, in file order; [] when there is no log yet. A malformed complete line is an error. */
export async function readMetricRows(file: string): Promise<MetricRow[]> {
  return (await readMetricLog(file)).rows;
}

/**
 * Every complete row and the size in bytes of the complete lines (what the log holds once the next append has cut
 * a torn tail), from one read; 0 bytes when there is no log yet.
 */
export async function readMetricLog(file: string): Promise<{ rows: MetricRow[]; bytes: number }> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], bytes: 0 };
    throw err;
  }
  return { rows: completeLines(buf.toString('utf8')).map((l) => parseLine(file, l.line, l.text)), bytes: buf.lastIndexOf(0x0a) + 1 };
}

/** Replaces the whole log with `rows`, atomically (fsynced, renamed); returns its size in bytes. */
export async function writeMetricRows(file: string, rows: MetricRow[], fs?: StoreFs): Promise<number> {
  const bytes = Buffer.from(rowsText(rows), 'utf8');
  await writeBytesAtomic(file, bytes, { what: 'metrics log', fs });
  return bytes.length;
}

/**
 * The newest rows, from the last `maxBytes` of the log only (a log grows by ~200 bytes a generation, so a
 * watcher of a long run never rereads it whole): the complete lines in that stretch, a torn or unreadable one
 * skipped. [] when there is no log.
 */
export async function readLastMetricRows(file: string, maxBytes = TAIL_SCAN_BYTES): Promise<MetricRow[]> {
  let fh;
  try {
    fh = await open(file, 'r');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
  try {
    const { size } = await fh.stat();
    const start = Math.max(0, size - maxBytes);
    const block = Buffer.alloc(size - start);
    await fh.read(block, 0, block.length, start);
    const lines = completeLines(block.toString('utf8'));
    // a stretch that starts mid-file starts mid-line: its first piece is not a row
    if (start > 0) lines.shift();
    const rows: MetricRow[] = [];
    for (const l of lines) {
      try {
        rows.push(parseLine(file, l.line, l.text));
      } catch {
        // a damaged line is the resume's business (readIntactMetricRows); a watcher shows the rows it can read
      }
    }
    return rows;
  } finally {
    await fh.close().catch(() => undefined);
  }
}

/**
 * The rows before the first damaged complete line, and that line (its number and problem), for a resume: the
 * rows from a damaged line on are recomputed rather than trusted. [] when there is no log.
 */
export async function readIntactMetricRows(file: string): Promise<{ rows: MetricRow[]; damagedLine: { line: number; problem: string } | null }> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { rows: [], damagedLine: null };
    throw err;
  }
  const rows: MetricRow[] = [];
  for (const l of completeLines(text)) {
    try {
      rows.push(parseLine(file, l.line, l.text));
    } catch (err) {
      return { rows, damagedLine: { line: l.line, problem: err instanceof MetricsFormatError ? err.message.replace(`metrics log ${file}, line ${l.line}: `, '') : String(err) } };
    }
  }
  return { rows, damagedLine: null };
}

/**
 * Rewrites the log without the rows after `generation` (0: without any row), without a torn tail and, when
 * `fromLine` is given, without that line and every later one, atomically (fsynced, renamed). Nothing is rewritten
 * when nothing would change.
 */
export async function truncateMetricRowsAfter(file: string, generation: number, fs?: StoreFs, fromLine?: number): Promise<{ kept: number; dropped: number }> {
  if (!Number.isSafeInteger(generation) || generation < 0) throw new RangeError(`generation must be an integer ≥ 0, got ${generation}`);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kept: 0, dropped: 0 };
    throw err;
  }
  const lines = completeLines(text);
  const kept = lines.filter((l) => (fromLine === undefined || l.line < fromLine) && parseLine(file, l.line, l.text).generation <= generation);
  const keptText = kept.map((l) => l.text + '\n').join('');
  if (keptText === text) return { kept: kept.length, dropped: 0 };
  await writeBytesAtomic(file, keptText, { what: 'metrics log', fs });
  return { kept: kept.length, dropped: lines.length - kept.length };
}
