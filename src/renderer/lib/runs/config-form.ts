/**
 * A run config being edited in a form (New Run, the fork dialog): the config, replaced as a whole on every change
 * (plain data that crosses IPC as it is), the texts that did not parse, and the problems the rows find
 * (configProblems: each field's range and the cross-field rules), keyed by the field they belong to.
 */
import { configProblems, fieldApplies, fieldByPath, withFieldValue, type ConfigProblem, type RunConfig } from '@shared/training-config';
import { computed, reactive, shallowRef, type ComputedRef, type ShallowRef } from 'vue';
import { plainCopy } from '../plain';

export interface ConfigForm {
  config: ShallowRef<RunConfig>;
  parseErrors: Map<string, string>;
  problems: ComputedRef<ConfigProblem[]>;
  /** the problem to show under a field: its text's, else the rows' */
  problemOf(path: string): string | null;
  /** every problem, each once (parse errors first) */
  allProblems: ComputedRef<ConfigProblem[]>;
  setField(path: string, value: unknown): void;
  setParseError(path: string, message: string | null): void;
  /** replaces the whole config (a preset, a run's config) and forgets the texts that did not parse */
  reset(config: RunConfig): void;
}

export function useConfigForm(initial: RunConfig): ConfigForm {
  const config = shallowRef<RunConfig>(plainCopy(initial));
  const parseErrors = reactive(new Map<string, string>());
  const problems = computed(() => configProblems(config.value));

  const problemOf = (path: string) => parseErrors.get(path) ?? problems.value.find((p) => p.field === path)?.message ?? null;
  const allProblems = computed(() => {
    const out = [...parseErrors.entries()].map(([field, message]) => ({ field, message }));
    for (const p of problems.value) if (!parseErrors.has(p.field)) out.push(p);
    return out;
  });

  function setField(path: string, value: unknown): void {
    // withFieldValue works on a copy, and switching the Adam schedule's kind brings that kind's defaults (as --set does)
    config.value = withFieldValue(config.value, path, value);
    // a text that did not parse in a field that no longer applies (the schedule's boundary, once constant) is moot
    for (const p of [...parseErrors.keys()]) {
      const f = fieldByPath(p);
      if (f && !fieldApplies(f, config.value)) parseErrors.delete(p);
    }
  }

  function setParseError(path: string, message: string | null): void {
    if (message) parseErrors.set(path, message);
    else parseErrors.delete(path);
  }

  function reset(next: RunConfig): void {
    config.value = plainCopy(next);
    parseErrors.clear();
  }

  return { config, parseErrors, problems, problemOf, allProblems, setField, setParseError, reset };
}
