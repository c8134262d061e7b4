/**
 * Labels for figures, the pure parts: the labelled strip's layout (sizes, where every frame,
 * row label, column heading, title and dash goes) from a fake text measure, its pixels (frames upscaled, hairlines,
 * white page), its SVG (embedded pixelated images, text), and the GIF's caption band (layout, names cut to fit,
 * the band's greys and rows in the encoded GIF).
 */
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import {
  composeStripFigure,
  fitText,
  STRIP_HAIRLINE_GREY,
  stripFigureLayout,
  stripFigureSvg,
  type StripFigureSpec,
  type TextMeasure,
} from '../../../../src/core/figures/strip-figure';
import { encodeGif, GIF_CAPTION_MIN_SIZE, GIF_PANEL_GAP_CELLS, gifCaptionLayout, gifCellsWide, reduceToGreys, wrapCaptionName } from '../../../../src/core/replay/gif';
import { framesSideBySide } from '../../../../src/core/replay/frames';
import { composeStrip } from '../../../../src/core/replay/strip';
import { upscaleNearest } from '../../../../src/core/render';

/** Every character half an em wide. */
const measure: TextMeasure = (text, font) => [...text].length * font.size * 0.5;
const cell = { height: 3, width: 3 };
const spec: StripFigureSpec = {
  title: 'T',
  subtitle: 'sub',
  columns: ['t = 0', 't = 10'],
  rows: [
    { label: 'alpha', cells: [cell, cell] },
    { label: 'b', cells: [cell, null] },
  ],
};
const opts = { box: 30, gap: 6, fontSize: 10, measure };

function solid(rgb: [number, number, number]): Uint8ClampedArray {
  const f = new Uint8ClampedArray(9 * 4);
  for (let i = 0; i < 9; i++) f.set([...rgb, 255], i * 4);
  return f;
}

describe('labelled strip layout', () => {
  it('puts the row labels left of their rows, a heading over each column, frames upscaled to the box', () => {
    const l = stripFigureLayout(spec, opts);
    // labels: 8 px margin + the widest label (alpha: 25 px) + 10 px before the frames; columns as wide as their heading
    // ("t = 10": 30 px + 4) or the box; rows below title (11 + 14), subtitle (10 + 4) and the heading row (10 + 10)
    expect([l.width, l.height]).toEqual([43 + 30 + 6 + 34 + 6, 59 + 30 + 6 + 30 + 6]);
    expect(l.frames).toEqual([
      { row: 0, col: 0, x: 43, y: 59, scale: 10, cells: cell },
      { row: 0, col: 1, x: 81, y: 59, scale: 10, cells: cell },
      { row: 1, col: 0, x: 43, y: 95, scale: 10, cells: cell },
    ]);
    const at = (text: string) =>
      l.texts.filter((t) => t.text === text).map(({ x, y, align, size, weight }) => ({ x, y, align, size, weight }));
    expect(at('T')).toEqual([{ x: 8, y: 13.5, align: 'left', size: 11, weight: 600 }]);
    expect(at('sub')).toEqual([{ x: 8, y: 32, align: 'left', size: 9, weight: 400 }]);
    expect(at('t = 0')).toEqual([{ x: 58, y: 49, align: 'center', size: 10, weight: 400 }]);
    expect(at('t = 10')).toEqual([{ x: 96, y: 49, align: 'center', size: 10, weight: 400 }]);
    expect(at('alpha')).toEqual([{ x: 33, y: 74, align: 'right', size: 10, weight: 400 }]);
    expect(at('b')).toEqual([{ x: 33, y: 110, align: 'right', size: 10, weight: 400 }]);
    // the missing frame is a dash in its box
    expect(at('–')).toEqual([{ x: 96, y: 110, align: 'center', size: 10, weight: 400 }]);
    expect(l.title).toBe('T');
  });

  it('is larger than the plain strip of the same frames, and without labels starts the frames at the gap', () => {
    const rows = [[solid([1, 2, 3]), solid([4, 5, 6])]];
    const plain = composeStrip(rows, 3, 3, 10);
    const labelled = stripFigureLayout({ columns: ['t = 0', 't = 1'], rows: [{ label: 'model', cells: [cell, cell] }] }, opts);
    expect(labelled.width).toBeGreaterThan(plain.width);
    expect(labelled.height).toBeGreaterThan(plain.height);
    const bare = stripFigureLayout({ rows: [{ cells: [cell] }] }, opts);
    expect([bare.width, bare.height, bare.frames[0].x, bare.frames[0].y, bare.texts]).toEqual([6 + 30 + 6, 6 + 30 + 6, 6, 6, []]);
  });

  it('cuts a long row label with "…" and refuses ragged rows and headings that do not match', () => {
    const font = { size: 10, weight: 400 as const };
    expect(fitText('abcdefgh', font, 25, measure)).toBe('abcd…');
    expect(fitText('abc', font, 25, measure)).toBe('abc');
    expect(fitText('abc', font, 2, measure)).toBe('');
    const long = stripFigureLayout({ rows: [{ label: 'x'.repeat(100), cells: [cell] }] }, { ...opts, maxLabelWidth: 50 });
    expect(long.texts[0].text).toBe('xxxxxxxxx…');
    expect(long.frames[0].x).toBe(8 + 50 + 10);
    expect(() => stripFigureLayout({ rows: [{ cells: [cell] }, { cells: [] }] }, opts)).toThrow(/row 1 has 0 cells, row 0 has 1/);
    expect(() => stripFigureLayout({ columns: ['a', 'b'], rows: [{ cells: [cell] }] }, opts)).toThrow(/2 column headings for 1 columns/);
  });
});

describe('labelled strip pixels and SVG', () => {
  it('draws each frame at its place, a grey hairline around it, white elsewhere', () => {
    const l = stripFigureLayout(spec, opts);
    const frames = [
      [solid([10, 20, 30]), solid([40, 50, 60])],
      [solid([70, 80, 90]), null],
    ];
    const img = composeStripFigure(l, frames);
    expect([img.width, img.height]).toEqual([l.width, l.height]);
    const px = (x: number, y: number) => Array.from(img.rgba.subarray((y * img.width + x) * 4, (y * img.width + x) * 4 + 4));
    const g = STRIP_HAIRLINE_GREY;
    expect(px(43, 59)).toEqual([10, 20, 30, 255]);
    expect(px(72, 88)).toEqual([10, 20, 30, 255]);
    expect(px(42, 59)).toEqual([g, g, g, 255]);
    expect(px(73, 70)).toEqual([g, g, g, 255]);
    expect(px(50, 58)).toEqual([g, g, g, 255]);
    expect(px(81, 59)).toEqual([40, 50, 60, 255]);
    expect(px(43, 95)).toEqual([70, 80, 90, 255]);
    expect(px(0, 0)).toEqual([255, 255, 255, 255]);
    expect(px(96, 110)).toEqual([255, 255, 255, 255]);
    expect(() =>
      composeStripFigure(l, [
        [frames[0][0], null],
        [frames[1][0], null],
      ]),
    ).toThrow(/no frame for row 0, column 1/);
    expect(() =>
      composeStripFigure(l, [
        [frames[0][0], new Uint8ClampedArray(4)],
        [frames[1][0], null],
      ]),
    ).toThrow(/expected 3×3×4 bytes, got 4/);
  });

  it('writes an SVG of embedded pixelated images and text', () => {
    const l = stripFigureLayout({ ...spec, rows: [{ label: 'ES <carrot> & co', cells: [cell, cell] }, spec.rows[1]] }, opts);
    const url = 'data:image/png;base64,AAAA';
    const svg = stripFigureSvg(l, [
      [url, url],
      [url, null],
    ]);
    expect(svg.match(/<image /g)).toHaveLength(3);
    const f = l.frames[1];
    expect(svg).toContain(
      `<image x="${f.x}" y="${f.y}" width="30" height="30" preserveAspectRatio="none" image-rendering="optimizeSpeed" style="image-rendering:pixelated" href="${url}"/>`,
    );
    expect(svg).toContain('<title>T</title>');
    expect(svg).toMatch(/<text [^>]*text-anchor="end">ES &lt;carrot&gt; &amp; co<\/text>/);
    expect(svg).toMatch(/<text x="[\d.]+" y="[\d.]+" font-size="10" fill="#222222" text-anchor="middle">t = 10<\/text>/);
    expect(svg).toMatch(new RegExp(`^<\\?xml[^>]*>\\n<svg [^>]*width="${l.width}" height="${l.height}"`));
    expect(() =>
      stripFigureSvg(l, [
        [url, null],
        [url, null],
      ]),
    ).toThrow(/no image for row 0, column 1/);
  });
});

describe('GIF caption band', () => {
  it('puts each name over its panel and t = N at the right, cut to leave room for the widest step', () => {
    const c = gifCaptionLayout({ names: ['first model', 'b'], width: 200, panelHeight: 140, lastStep: 1000, measure });
    expect([c.height, c.font.size]).toEqual([17, 10]);
    expect(c.texts(40).map(({ text, x, y, align }) => ({ text, x, y, align }))).toEqual([
      { text: 'first model', x: 3, y: 8.5, align: 'left' },
      { text: 'b', x: 103, y: 8.5, align: 'left' },
      { text: 't = 40', x: 197, y: 8.5, align: 'right' },
    ]);
    // one panel of 100 px at the smallest size: beside "t = 1000" (40 px + 2·3) only 48 px are left, so "t = N"
    // goes on a line of its own and the name has the panel's 94 px; a name longer than that wraps at its spaces
    const one = gifCaptionLayout({ names: ['a very long model name'], width: 100, panelHeight: 140, lastStep: 1000, measure });
    expect(one.height).toBe(3 * 17);
    expect(one.texts(0).map(({ text, x, y }) => ({ text, x, y }))).toEqual([
      { text: 'a very long model', x: 3, y: 8.5 },
      { text: 'name', x: 3, y: 25.5 },
      { text: 't = 0', x: 97, y: 42.5 },
    ]);
    // a run's name wraps after its dashes; past three lines the rest is cut
    const font = { size: 10, weight: 400 as const };
    expect(wrapCaptionName('thesis-adam-nopool-carrot-9', font, 60, measure, 3)).toEqual(['thesis-adam-', 'nopool-', 'carrot-9']);
    expect(wrapCaptionName('thesis-adam-nopool-carrot-9', font, 60, measure, 2)).toEqual(['thesis-adam-', 'nopool-carr…']);
    expect(wrapCaptionName('abcdefghijklmnopqrstuvwxyz', font, 70, measure, 3)).toEqual(['abcdefghijklm…']);
    expect(() => gifCaptionLayout({ names: [], width: 100, panelHeight: 10, lastStep: 0, measure })).toThrow(/at least one name/);
  });

  it('shrinks the text before it cuts a name; the panels stand a gap apart and each name starts over its own', () => {
    // panels of 200 px: at the default size (280 / 14 = 20 px) "a model called carrot" is 252 px; at 15 px it fits
    const names = ['a model called carrot', 'its twin'];
    const c = gifCaptionLayout({ names, width: 2 * 200 + 12, gap: 12, panelHeight: 280, lastStep: 400, measure });
    expect(c.font.size).toBeLessThan(20);
    expect(c.font.size).toBeGreaterThanOrEqual(GIF_CAPTION_MIN_SIZE);
    const texts = c.texts(400);
    expect(texts.map((t) => t.text)).toEqual([...names, 't = 400']);
    const pad = texts[0].x;
    expect(texts[1].x).toBe(200 + 12 + pad);
    // every name within its own panel: none runs into the gap or the next panel
    expect(measure(names[0], c.font)).toBeLessThanOrEqual(200 - 2 * pad);
    expect(c.height).toBe(Math.round(c.font.size * 1.7));
  });

  it('frames side by side stand a gap of white apart', () => {
    const red = new Uint8ClampedArray(2 * 2 * 4).fill(0).map((_, i) => (i % 4 === 0 || i % 4 === 3 ? 255 : 0));
    const both = framesSideBySide([red, red], 2, 2, GIF_PANEL_GAP_CELLS);
    expect(both.length).toBe(2 * gifCellsWide(2, 2) * 4);
    const px = (y: number, x: number) => Array.from(both.subarray((y * 5 + x) * 4, (y * 5 + x) * 4 + 4));
    expect([px(0, 1), px(1, 2), px(1, 3)]).toEqual([[255, 0, 0, 255], [255, 255, 255, 255], [255, 0, 0, 255]]);
  });

  it("reduces the band to greys and encodes it above every frame with the frame's exact colours", async () => {
    expect(Array.from(reduceToGreys(new Uint8ClampedArray([100, 100, 100, 255, 0, 30, 0, 128, 250, 255, 255, 255])))).toEqual([
      109, 109, 109, 255, 0, 0, 0, 255, 255, 255, 255, 255,
    ]);
    const frames = [0, 1].map((i) => {
      const f = new Uint8ClampedArray(2 * 3 * 4).fill(255);
      f.set([200, 10 * i, 30, 255], 0);
      return f;
    });
    const W = 12;
    const band = (i: number) => {
      const b = new Uint8ClampedArray(W * 5 * 4).fill(255);
      b.set([100, 100, 100, 255], (2 * W + i) * 4); // a grey "text" pixel that moves with the frame
      return b;
    };
    const bytes = encodeGif(frames, 2, 3, { scale: 4, fps: 10, caption: { height: 5, band } });
    const meta = await sharp(Buffer.from(bytes), { animated: true }).metadata();
    expect([meta.pages, meta.width, meta.pageHeight]).toEqual([2, 12, 13]);
    for (let i = 0; i < 2; i++) {
      const { data } = await sharp(Buffer.from(bytes), { page: i }).ensureAlpha().raw().toBuffer({ resolveWithObject: true });
      expect(Array.from(data.subarray((2 * W + i) * 4, (2 * W + i) * 4 + 4))).toEqual([109, 109, 109, 255]);
      expect(Array.from(data.subarray((2 * W + 1 - i) * 4, (2 * W + 1 - i) * 4 + 4))).toEqual([255, 255, 255, 255]);
      expect(Buffer.from(upscaleNearest(frames[i], 2, 3, 4)).equals(data.subarray(W * 5 * 4))).toBe(true);
    }
    expect(() => encodeGif(frames, 2, 3, { scale: 4, fps: 10, caption: { height: 5, band: () => new Uint8ClampedArray(4) } })).toThrow(
      /GIF caption 0: expected 12×5×4 bytes, got 4/,
    );
  });
});
