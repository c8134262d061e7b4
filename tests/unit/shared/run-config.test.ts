/**
 * The run config declared once (src/shared/run-config/): the types inferred from the rows are the ones the core
 * reads, validation never changes its input, an older config is upgraded by an explicit step, a setting is changed
 * the same way by the form, --set and a sweep (the Adam schedule included), and every row is usable by path.
 */
import { describe, expect, expectTypeOf, it } from 'vitest';
import type { NcaConfig, InitScheme } from '../../../src/core/nca/config';
import type { AdamSettings } from '../../../src/core/adam/settings';
import type { DecayRule } from '../../../src/core/es/decay';
import {
  ES_RULES, PRESETS, RUN_CONFIG_FIELDS, configFromPreset, configProblems, fieldApplies, fieldByPath, getPath,
  upgradeRunConfig, validateRunConfig, withFieldText, withFieldValue,
  type AdamRecipe, type AdamRunConfig, type EsRunConfig, type EsSettings, type ModelSettings, type RunConfig,
} from '../../../src/shared/training-config';
import { buildConfig, CONFIG_FLAGS, trainCommand } from '../../../src/cli/commands/train';
import { UsageError } from '../../../src/cli/command';

/** The ES settings as they were written by hand before the rows: the rows must give exactly this type. */
interface EsSettingsBefore {
  population: number;
  sigma: number;
  lr: number;
  mirrored: boolean;
  update: 'thesis' | 'salimans' | 'openai-adam' | 'pgpe' | 'snes';
  commonRandomNumbers: boolean;
  perMemberSteps: boolean;
  batchSize: number;
  pool: { kind: 'none' | 'thesis' | 'mordvintsev'; size: number };
  decay: { enabled: boolean; every: number; thresholds: [number, number]; factors: [number, number]; rule: DecayRule; patience: number; minLr: number; sigmaPower: number };
  workers: number;
  objective: { lossWindow: number; lossEvery: number; longEvery: number; longSteps: number };
  adam: { beta1: number; beta2: number; epsilon: number; weightDecay: number };
  pgpe: { optimizer: 'clipup' | 'adam'; maxSpeed: number; momentum: number; sigmaLr: number; sigmaMaxChange: number };
  snes: { sigmaLr: number | null };
}

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

describe('the types inferred from the rows', () => {
  it('are the types the core and the rest of the lab read', () => {
    // a rule added later adds its id and its group; everything that was there keeps its type
    expectTypeOf<Pick<EsSettings, Exclude<keyof EsSettingsBefore, 'update'>>>().toEqualTypeOf<Omit<EsSettingsBefore, 'update'>>();
    expectTypeOf<EsSettingsBefore['update']>().toExtend<EsSettings['update']>();
    expectTypeOf<AdamRecipe>().toEqualTypeOf<AdamSettings>();
    type Flat<T> = { [K in keyof T]: T[K] };
    expectTypeOf<Flat<ModelSettings>>().toEqualTypeOf<Flat<NcaConfig & { init: InitScheme }>>();
    expectTypeOf<AdamRunConfig['adam']['schedule']>().toEqualTypeOf<{ kind: 'constant' } | { kind: 'piecewise'; boundary: number; after: number }>();
  });
});

describe('validation', () => {
  it('never changes its input, and an older config is upgraded by its own step into a new object', () => {
    const old = configFromPreset('thesis-es') as EsRunConfig;
    const es = old.es as unknown as Record<string, unknown>;
    for (const k of ['objective', 'adam', 'pgpe', 'snes']) delete es[k];
    for (const k of ['rule', 'patience', 'minLr', 'sigmaPower']) delete (old.es.decay as unknown as Record<string, unknown>)[k];
    delete (old as Partial<RunConfig>).startFrom;
    delete (old as Partial<RunConfig>).engine;
    const frozen = deepFreeze(structuredClone(old));
    // frozen: a validation that wrote into it would throw here
    expect(configProblems(frozen)).toEqual([{ field: 'es.objective', message: 'must be an object, got nothing' }]);
    expect(() => validateRunConfig(frozen)).toThrow('es.objective: must be an object, got nothing');
    const groupsKept = deepFreeze({ ...structuredClone(frozen), es: { ...structuredClone(frozen.es), ...structuredClone((configFromPreset('thesis-es') as EsRunConfig).es), decay: frozen.es.decay } });
    expect(configProblems(groupsKept).map((p) => p.field)).toEqual(['startFrom', 'engine', 'es.decay.rule', 'es.decay.patience', 'es.decay.minLr', 'es.decay.sigmaPower']);
    const upgraded = upgradeRunConfig(frozen);
    expect(upgraded).not.toBe(frozen);
    expect(frozen).toEqual(old);
    // every run before the GPU engine computed on the CPU; presets say auto
    expect(upgraded).toEqual({ ...configFromPreset('thesis-es'), engine: 'wasm' });
    expect(configProblems(upgraded as RunConfig)).toEqual([]);
  });

  it('gives every preset no problem, and names the path of a missing part instead of tripping over it', () => {
    for (const p of PRESETS) expect(configProblems(p.config), p.name).toEqual([]);
    const c = configFromPreset('es') as unknown as { es: Record<string, unknown> };
    delete c.es.decay;
    expect(configProblems(c as unknown as RunConfig)).toEqual([{ field: 'es.decay', message: 'must be an object, got nothing' }]);
    const a = configFromPreset('thesis-adam') as AdamRunConfig;
    (a.adam as unknown as Record<string, unknown>).schedule = { kind: 'step' };
    expect(configProblems(a)).toEqual([{ field: 'adam.schedule.kind', message: 'must be one of constant, piecewise, got "step"' }]);
  });

  it('applies each ES rule\'s own rules, from its row', () => {
    const p = configFromPreset('pgpe') as EsRunConfig;
    p.es.decay.sigmaPower = 0.5;
    expect(configProblems(p)).toEqual([{ field: 'es.decay.sigmaPower', message: 'must be 0 with PGPE, which adapts σ itself, got 0.5' }]);
    const t = configFromPreset('thesis-es') as EsRunConfig;
    t.es.decay.sigmaPower = 0.5;
    expect(configProblems(t)).toEqual([]);
  });
});

describe('the field table', () => {
  it('addresses every setting of every preset by its dotted path, with its optimizer and ES rule', () => {
    for (const p of PRESETS) {
      for (const f of RUN_CONFIG_FIELDS) {
        if (!fieldApplies(f, p.config)) continue;
        expect(getPath(p.config, f.path), `${p.name}: ${f.path}`).not.toBeUndefined();
      }
    }
    expect(fieldByPath('es.pgpe.maxSpeed')).toMatchObject({ optimizer: 'es', rule: 'pgpe', kind: 'number' });
    expect(fieldByPath('adam.schedule.boundary')).toMatchObject({ optimizer: 'adam', when: { path: 'adam.schedule.kind', equals: 'piecewise' } });
    expect(fieldByPath('es.decay.thresholds.1')).toMatchObject({ kind: 'number', min: -1, max: 0 });
  });

  it('gives every setting of an ES rule\'s own group a value for configs from before it', () => {
    for (const r of ES_RULES) {
      if (!r.group) continue;
      const own = RUN_CONFIG_FIELDS.filter((f) => f.rule === r.id);
      expect(own.length, r.id).toBeGreaterThan(0);
      for (const f of own) expect(f.before, f.path).not.toBeUndefined();
    }
  });
});

describe('changing a setting (the form, --set, a sweep)', () => {
  it('switches the Adam schedule with its defaults the same way from a value and from text, on a copy', () => {
    const c = deepFreeze(configFromPreset('thesis-adam') as AdamRunConfig);
    const fromForm = withFieldValue(c, 'adam.schedule.kind', 'piecewise');
    const fromText = withFieldText(c, 'adam.schedule.kind', 'piecewise');
    expect(fromForm.adam.schedule).toEqual({ kind: 'piecewise', boundary: 2000, after: 2e-4 });
    expect(fromText).toEqual(fromForm);
    expect(c.adam.schedule).toEqual({ kind: 'constant' });
    // the same kind again keeps what was set
    const edited = withFieldText(fromText, 'adam.schedule.after', '1e-4');
    expect(withFieldValue(edited, 'adam.schedule.kind', 'piecewise').adam.schedule).toEqual({ kind: 'piecewise', boundary: 2000, after: 1e-4 });
    expect(withFieldValue(edited, 'adam.schedule.kind', 'constant').adam.schedule).toEqual({ kind: 'constant' });
  });

  it('refuses a misspelt choice naming the allowed values, and settings that do not apply', () => {
    const c = configFromPreset('thesis-adam');
    expect(() => withFieldText(c, 'adam.schedule.kind', 'constnt')).toThrow('adam.schedule.kind: must be one of constant, piecewise, got "constnt"');
    expect(() => withFieldText(c, 'adam.schedule.boundary', '10')).toThrow('adam.schedule.boundary: applies only while adam.schedule.kind is piecewise');
    expect(() => withFieldText(c, 'es.population', '10')).toThrow('es.population: is a setting of es runs, this is an adam run');
    expect(() => withFieldText(c, 'adam.nope', '1')).toThrow('adam.nope: no such setting');
  });
});

describe('nca-lab train flags come from the rows', () => {
  it('--set adam.schedule.kind: a misspelling is refused, piecewise takes the form\'s defaults', () => {
    expect(() => buildConfig({ optimizer: 'adam', set: ['adam.schedule.kind=constnt'] })).toThrow(UsageError);
    expect(() => buildConfig({ optimizer: 'adam', set: ['adam.schedule.kind=constnt'] })).toThrow('--set: adam.schedule.kind: must be one of constant, piecewise, got "constnt"');
    const cli = buildConfig({ optimizer: 'adam', set: ['adam.schedule.kind=piecewise'] }) as AdamRunConfig;
    expect(cli.adam.schedule).toEqual(withFieldValue(configFromPreset('thesis-adam') as AdamRunConfig, 'adam.schedule.kind', 'piecewise').adam.schedule);
  });

  it('each row with a flag sets its field, and the usage names every such flag', () => {
    expect(CONFIG_FLAGS.map((f) => f.path)).toEqual(['target.size', 'target.padding', 'seed', 'stop.maxGenerations', 'stop.maxSeconds', 'stop.targetLoss', 'engine', 'es.workers']);
    for (const f of CONFIG_FLAGS) for (const flag of f.flags!) expect(trainCommand.usage).toContain(`--${flag} `);
    const c = buildConfig({ optimizer: 'es', seed: '9', 'max-iterations': '12', 'target-loss': '0.01', workers: '3' }) as EsRunConfig;
    expect([c.seed, c.stop.maxGenerations, c.stop.targetLoss, c.es.workers]).toEqual([9, 12, 0.01, 3]);
    // --workers is the session's for Adam: not a config field there
    expect(buildConfig({ optimizer: 'adam', workers: '3' })).toEqual(configFromPreset('thesis-adam'));
    expect(() => buildConfig({ optimizer: 'es', seed: '0x10' })).toThrow('--seed: seed: must be a number, got "0x10" (decimal digits only)');
  });
});
