/**
 * How benchmarks print: one JSON object per line for programs (`--json` prints only those), plus readable
 * tables for people.
 */

/** Where benchmark lines go (the CLI passes its CommandIo, which has this shape). */
export interface LineSink {
  out(line: string): void;
}

export interface BenchIo {
  json(row: object): void;
  table(title: string, header: string[], rows: (string | number)[][]): void;
  note(line: string): void;
}

export function benchIo(io: LineSink, jsonOnly: boolean): BenchIo {
  return {
    json: (row) => io.out(JSON.stringify(row)),
    table: (title, header, rows) => {
      if (jsonOnly) return;
      const cells = [header, ...rows.map((r) => r.map(String))];
      const widths = header.map((_, c) => Math.max(...cells.map((r) => r[c].length)));
      io.out('');
      io.out(title);
      cells.forEach((r, i) => {
        io.out('  ' + r.map((v, c) => (c === 0 ? v.padEnd(widths[c]) : v.padStart(widths[c]))).join('  '));
        if (i === 0) io.out('  ' + widths.map((w) => '-'.repeat(w)).join('  '));
      });
    },
    note: (line) => { if (!jsonOnly) io.out(line); },
  };
}
