import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli-run';
import { COMMANDS } from '../../../src/cli/commands/index';
import { decodePng } from '../../../src/services/export/png';

const dir = mkdtempSync(join(tmpdir(), 'nca-lab-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the CLI in-process and collects what it printed. */
async function run(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, out, err } = await runCli(...argv);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

describe('nca-lab', () => {
  it('lists every registered command in --help and exits 0', async () => {
    const r = await run('--help');
    expect(r.code).toBe(0);
    expect(Object.keys(COMMANDS)).toEqual(expect.arrayContaining(['info', 'targets', 'target']));
    for (const name of Object.keys(COMMANDS)) expect(r.out).toMatch(new RegExp(`^  ${name} +${COMMANDS[name].summary.slice(0, 20)}`, 'm'));
    expect((await run('help', 'target')).out).toBe(COMMANDS.target.usage);
    expect((await run('target', '--help')).out).toBe(COMMANDS.target.usage);
  });

  it('exits 2 for an unknown command, naming it', async () => {
    const r = await run('trian');
    expect(r.code).toBe(2);
    expect(r.err).toContain('nca-lab: unknown command "trian"');
    expect((await run()).code).toBe(2);
  });

  it('exits 2 for an unknown flag or a bad value, naming the flag and range', async () => {
    const bad = await run('targets', '--colour');
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/^nca-lab targets: Unknown option '--colour'/);
    const size = await run('target', 'carrot', '--size', 'nine', '--out', join(dir, 'x.png'));
    expect(size.code).toBe(2);
    expect(size.err).toContain('--size must be an integer from 1 to 1024, got "nine"');
  });

  it('exits 1 with a one-line "nca-lab: …" message when a command fails', async () => {
    const r = await run('target', 'banana-9', '--out', join(dir, 'banana.png'));
    expect(r.code).toBe(1);
    expect(r.err.split('\n')).toEqual([
      'nca-lab: unknown target "banana-9": not a built-in (carrot-9, carrot-15, rabbit-9, rabbit-15, lizard-40, lizard-2018-40) and not an image file',
    ]);
  });

  it('targets --json prints the catalogue as one JSON object', async () => {
    const r = await run('targets', '--json', '--workspace', dir);
    expect(r.code).toBe(0);
    expect(r.out.split('\n')).toHaveLength(1);
    const { targets } = JSON.parse(r.out) as { targets: { name: string; size: number; padding: number; canvas: number }[] };
    expect(targets.map((t) => `${t.name}:${t.size}+${t.padding}=${t.canvas}`)).toEqual([
      'carrot-9:9+0=9', 'carrot-15:15+0=15', 'rabbit-9:9+0=9', 'rabbit-15:15+0=15', 'lizard-40:40+16=72', 'lizard-2018-40:40+16=72',
    ]);
  });

  it('target carrot-9 writes a 261×261 PNG on white (scale 29)', async () => {
    const out = join(dir, 'carrot-9.png');
    const r = await run('target', 'carrot-9', '--out', out, '--json');
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toMatchObject({ width: 261, height: 261, scale: 29, target: { name: 'carrot-9', canvas: 9 } });
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([261, 261]);
    const at = (y: number, x: number) => Array.from(png.data.subarray((y * 261 + x) * 4, (y * 261 + x) * 4 + 4));
    expect(at(0, 0)).toEqual([255, 255, 255, 255]); // transparent cell → white
    expect(at(1 * 29 + 14, 5 * 29 + 14)).toEqual([160, 188, 110, 255]); // cell (1, 5) = u8 [109, 152, 33, 166]
    expect(at(2 * 29, 6 * 29 + 28)).toEqual([120, 166, 37, 255]); // opaque cell (2, 6), block corner
  });

  it('target lizard --scale 2 renders the padded 72×72 canvas', async () => {
    const out = join(dir, 'lizard.png');
    expect((await run('target', 'lizard', '--scale', '2', '--out', out)).code).toBe(0);
    const png = decodePng(readFileSync(out));
    expect([png.width, png.height]).toEqual([144, 144]);
    const at = (y: number, x: number) => Array.from(png.data.subarray((y * 144 + x) * 4, (y * 144 + x) * 4 + 4));
    expect(at(18 * 2, 26 * 2)).toEqual([2, 189, 78, 255]); // lizard u8 (2, 10) shifted by the padding of 16
  });

  it('target imports an image file with --size', async () => {
    const file = join(dir, 'notes.png');
    writeFileSync(file, 'not an image');
    const r = await run('target', file, '--size', '9', '--out', join(dir, 'notes-out.png'));
    expect(r.code).toBe(1);
    expect(r.err).toContain(`nca-lab: ${file}: not an image`);
  });

  it('info --json reports version, platform, cores, backend and workspace', async () => {
    const r = await run('info', '--json', '--workspace', dir);
    expect(r.code).toBe(0);
    const info = JSON.parse(r.out);
    expect(info.version).toBe(JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'package.json'), 'utf8')).version);
    expect(info.node).toBe(process.version);
    expect(info.cores).toBe(availableParallelism());
    expect(['tensorflow', 'wasm', 'cpu']).toContain(info.backend);
    expect(Array.isArray(info.skippedBackends)).toBe(true);
    expect(info.workspace).toBe(dir);
  });
});
