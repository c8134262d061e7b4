/** `nca-lab targets`: the built-in targets (resources/targets/targets.json). */
import { listBuiltinTargets } from '../../services/targets/targets';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';

export const targetsCommand: Command = {
  summary: 'list the built-in targets (name, size, default padding, canvas, emoji)',
  usage: `nca-lab targets [--json] [--workspace DIR]

Lists the built-in targets: the thesis's carrot and rabbit at 9 and 15 px (padding 0) and Mordvintsev's
lizard at 40 px (padding 16, a 72×72 canvas), current and 2018 versions. Pass a name to --target, or a
family with --size (carrot --size 15).

  --json   one JSON object {"targets":[…]}`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { json: { type: 'boolean' } });
    if (positionals.length > 0) throw new UsageError(`unexpected argument: ${positionals.join(' ')}`);
    const targets = listBuiltinTargets();
    if (values.json) {
      io.out(JSON.stringify({ targets }));
      return 0;
    }
    const rows = targets.map((t) => [t.name, String(t.size), String(t.padding), `${t.canvas}×${t.canvas}`, `${t.emoji} ${t.codepoint} ${t.unicodeName}`]);
    const header = ['name', 'size', 'padding', 'canvas', 'emoji'];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => (i === 0 || i === 4 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join('  ').trimEnd();
    io.out(line(header));
    for (const r of rows) io.out(line(r));
    return 0;
  },
};
