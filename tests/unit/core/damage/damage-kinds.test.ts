/**
 * The damage kinds' table (src/core/damage/kinds.ts): every kind's record is whole and its parts agree with each
 * other — text form ⇄ recorded damage, validation of what it records, its panel row's requests — and the
 * functions the replay, recordings, the CLI and the panel call reach each kind through the table.
 */
import { describe, expect, it } from 'vitest';
import { emptyStates } from '../../../../src/core/nca/state';
import {
  applyDamage, DAMAGE_KIND_TABLE, DAMAGE_KINDS, DAMAGE_TEXT_FORMS, damageFromText, damageToText, describeDamage, parseDamageSpec,
  resolveDamage, STREAM_CIRCLE, STREAM_NOISE, STREAM_NOISE_SEED, type DamageKind,
} from '../../../../src/core/damage/kinds';
import { DamageLogError } from '../../../../src/core/damage/damage-kind';
import { eraseThesis } from '../../../../src/core/damage/damage';
import { STREAM_FIRE } from '../../../../src/core/replay/damage-event';

/** One text per kind with every value given (so nothing is left to chance) and what it records. */
const EXAMPLES: Record<DamageKind, { text: string; described: string }> = {
  thesis: { text: 'thesis:3x3', described: 'erase the centre 3×3 (thesis)' },
  rect: { text: 'rect:1,3,2,9', described: 'erase rows 1–2, cols 2–8' },
  circle: { text: 'circle:0.25,-0.5,0.3', described: 'erase circle (M) centre (0.25, -0.5) r 0.3' },
  disc: { text: 'disc:4,5,2.5', described: 'brush at (4, 5) radius 2.5' },
  fgsm: { text: 'fgsm:0.007,rgba', described: 'FGSM ε 0.007, clamp rgba' },
  noise: { text: 'noise:0.1,3', described: 'noise σ 0.1' },
};

describe('the damage kinds table', () => {
  it('lists each kind once, and the words of the text form are distinct', () => {
    expect(new Set(DAMAGE_KINDS).size).toBe(DAMAGE_KIND_TABLE.length);
    const words = DAMAGE_KIND_TABLE.flatMap((k) => [k.kind, ...(k.aliases ?? [])]);
    expect(new Set(words).size).toBe(words.length);
    expect(Object.keys(EXAMPLES).sort()).toEqual([...DAMAGE_KINDS].sort());
    // every help text form starts with its kind's word
    for (const k of DAMAGE_KIND_TABLE) for (const form of k.textForms) expect(form.startsWith(k.kind)).toBe(true);
    expect(DAMAGE_TEXT_FORMS.length).toBeGreaterThanOrEqual(DAMAGE_KIND_TABLE.length);
  });

  it('uses a Philox stream word no other part of the replay uses', () => {
    const words = [STREAM_FIRE, STREAM_CIRCLE, STREAM_NOISE, STREAM_NOISE_SEED];
    expect(new Set(words).size).toBe(words.length);
  });

  for (const kind of DAMAGE_KINDS) {
    it(`${kind}: text → recorded damage → JSON → text round-trips, and it is described`, () => {
      const { text, described } = EXAMPLES[kind];
      const request = damageFromText(text, `${text}@1`);
      expect(request.kind).toBe(kind);
      const spec = resolveDamage(request, 5, 0);
      expect(parseDamageSpec(JSON.parse(JSON.stringify(spec)))).toEqual(spec);
      expect(damageToText(spec)).toBe(text);
      expect(describeDamage(spec)).toBe(described);
    });
  }

  it('refuses bad fields naming them, for every kind', () => {
    expect(() => parseDamageSpec({ kind: 'laser' })).toThrow(/damage\.kind must be one of thesis, rect, circle, disc, fgsm, noise, got "laser"/);
    expect(() => parseDamageSpec({ kind: 'thesis', variant: 'half' })).toThrow(/damage\.variant must be one of 2x2, 3x3, bottom/);
    expect(() => parseDamageSpec({ kind: 'rect', y0: 0, y1: 1, x0: 0.5, x1: 2 })).toThrow(/damage\.x0 must be an integer/);
    expect(() => parseDamageSpec({ kind: 'circle', cx: 2, cy: 0, r: 0.1 })).toThrow(/damage\.cx must be a number from -1 to 1, got 2/);
    expect(() => parseDamageSpec({ kind: 'disc', cy: 1, cx: 1, radius: 0 })).toThrow(/damage\.radius must be a number greater than 0/);
    expect(() => parseDamageSpec({ kind: 'fgsm', eps: 0.1, clamp: 'most' })).toThrow(/damage\.clamp must be one of all, rgba, none/);
    expect(() => parseDamageSpec({ kind: 'noise', std: 0.1, seed: -1 })).toThrow(/damage\.seed must be an integer/);
    expect(() => damageFromText('thesis:half', 'thesis:half@3')).toThrow(DamageLogError);
    expect(() => damageFromText('disc:1,2', 'disc:1,2@3')).toThrow(/damage "disc:1,2@3": disc takes 3 values after ":", got 2/);
    expect(() => damageFromText('brush:1,x,3', 'brush:1,x,3@3')).toThrow(/CX must be a number, got "x"/);
    expect(() => damageFromText('circle:0.1,0.2', 'circle:0.1,0.2@3')).toThrow(/circle takes nothing \(random\) or CX,CY,R/);
  });

  it('makes random choices from the replay seed and the event index only', () => {
    const a = resolveDamage({ kind: 'circle' }, 7, 2);
    expect(resolveDamage({ kind: 'circle' }, 7, 2)).toEqual(a);
    expect(resolveDamage({ kind: 'circle' }, 7, 3)).not.toEqual(a);
    const n = resolveDamage({ kind: 'noise', std: 0.1 }, 7, 2);
    expect(n).toEqual({ kind: 'noise', std: 0.1, seed: expect.any(Number) });
    expect(resolveDamage({ kind: 'noise', std: 0.1 }, 8, 2)).not.toEqual(n);
    // given values stay as given
    expect(resolveDamage({ kind: 'noise', std: 0.1, seed: 3 }, 7, 2)).toEqual({ kind: 'noise', std: 0.1, seed: 3 });
  });

  it('applies each kind through its record (the thesis rectangle as the primitive does)', () => {
    const s = emptyStates(1, 9, 9, 16);
    s.data.fill(0.5);
    const ref = emptyStates(1, 9, 9, 16);
    ref.data.fill(0.5);
    applyDamage(s, { kind: 'thesis', variant: 'bottom' }, { targetRgba: null, t: 3 });
    eraseThesis(ref, 'bottom');
    expect(s.data).toEqual(ref.data);
  });

  it('gives the panel a row for every kind not drawn with the pointer, whose buttons ask for valid damage', () => {
    const rows = DAMAGE_KIND_TABLE.filter((k) => k.panel);
    expect(rows.map((k) => k.kind)).toEqual(['thesis', 'circle', 'fgsm', 'noise']);
    const ids = rows.flatMap((k) => k.panel!.actions.map((a) => a.id));
    expect(new Set(ids).size).toBe(ids.length);
    for (const k of rows) {
      const values = Object.fromEntries((k.panel!.fields ?? []).map((f) => [f.key, f.initial]));
      for (const a of k.panel!.actions) {
        const request = (a.request as (v: typeof values) => Parameters<typeof resolveDamage>[0])(values);
        expect(request.kind).toBe(k.kind);
        const spec = resolveDamage(request, 1, 0);
        expect(parseDamageSpec(spec)).toEqual(spec);
      }
    }
    const fgsm = DAMAGE_KIND_TABLE.find((k) => k.kind === 'fgsm')!.panel!;
    expect(fgsm.note?.({ eps: 0.1, clamp: 'all' })?.text).toMatch(/the loss can drop at once/);
    expect(fgsm.note?.({ eps: 0.1, clamp: 'rgba' })).toBeNull();
  });
});
