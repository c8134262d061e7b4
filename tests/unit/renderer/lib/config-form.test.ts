/**
 * A run's config taken from the window's reactive state into a form: a plain copy (a RunInfo kept in a reactive
 * store holds reactive proxies in its nested objects, which structuredClone refuses), edited field by field with
 * the rows' validation; and what a fork keeps.
 */
import { describe, expect, it } from 'vitest';
import { reactive } from 'vue';
import { useConfigForm } from '../../../../src/renderer/lib/runs/config-form';
import { plainCopy } from '../../../../src/renderer/lib/plain';
import { configFromPreset, forkConfigRefusal, forkKeeps, withFieldValue } from '../../../../src/shared/training-config';

describe('plainCopy', () => {
  it('copies a run whose config sits behind nested reactive proxies, where structuredClone refuses', () => {
    const runs = reactive([{ id: 'a', config: configFromPreset('es-256'), params: new Float32Array([1, 2]) }]);
    const run = runs[0];
    expect(() => structuredClone(run.config)).toThrow();
    const copy = plainCopy(run);
    expect(copy.config).toEqual(configFromPreset('es-256'));
    expect(copy.params).toEqual(new Float32Array([1, 2]));
    copy.config.seed = 99;
    expect(run.config.seed).not.toBe(99);
    expect(() => structuredClone(copy)).not.toThrow();
  });
});

describe('useConfigForm', () => {
  it('changes a field on a copy, shows a value out of range under its field, and forgets parse errors on reset', () => {
    const source = reactive({ config: configFromPreset('es-256') });
    const form = useConfigForm(source.config);
    form.setField('es.sigma', -1);
    expect(form.problemOf('es.sigma')).toMatch(/> 0/);
    expect(source.config.optimizer === 'es' && source.config.es.sigma).not.toBe(-1);
    form.setParseError('es.lr', 'must be a number');
    expect(form.allProblems.value.map((p) => p.field)).toEqual(['es.lr', 'es.sigma']);
    form.reset(source.config);
    expect(form.allProblems.value).toEqual([]);
  });
});

describe('what a fork keeps', () => {
  it('refuses a changed shape, canvas or initialisation, naming the setting, and takes any hyperparameter', () => {
    const source = configFromPreset('es-256');
    expect(forkConfigRefusal(source, withFieldValue(source, 'es.sigma', 0.5))).toBeNull();
    expect(forkConfigRefusal(source, withFieldValue(source, 'stepsMax', 90))).toBeNull();
    expect(forkConfigRefusal(source, withFieldValue(source, 'model.hidden', 64))).toMatch(/a fork keeps the model's shape .*changes model\.hidden/);
    expect(forkConfigRefusal(source, withFieldValue(source, 'target.padding', 3))).toMatch(/a fork keeps the target canvas .*changes target\.padding/);
    expect(forkConfigRefusal(source, configFromPreset('thesis-adam'))).toMatch(/a fork keeps the optimizer/);
    expect(forkKeeps('model.channels')?.why).toMatch(/parameters must fit/);
    expect(forkKeeps('es.population')).toBeNull();
  });
});
