/**
 * Sweeps: every sweep of the workspace (sweeps.list), kept current by the pushed `sweep:status` (from this lab's
 * driver, whichever window started it); the records the Sweep view shows (sweeps.get, fetched again when their
 * summary says they changed); planning, starting, pausing and resuming.
 */
import type { SweepPlanInfo, SweepRecord, SweepRequest, SweepSummary } from '@shared/sweep';
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowRef } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import type { LoadStatus } from './targets';

export const useSweepsStore = defineStore('sweeps', () => {
  const byId = reactive(new Map<string, SweepSummary>());
  const status = ref<LoadStatus>('idle');
  const loadError = ref<string | null>(null);
  const problems = shallowRef<{ id: string; message: string }[]>([]);
  /** records by id (not deep-reactive: a record holds every run's config); `recordVersion` says when one changed */
  const records = new Map<string, SweepRecord>();
  const recordVersion = reactive(new Map<string, number>());
  const recordErrors = reactive(new Map<string, string>());
  const pending = reactive(new Map<string, 'pause' | 'resume'>());
  const actionErrors = reactive(new Map<string, string>());
  const inFlight = new Map<string, Promise<void>>();

  const sweeps = computed(() => [...byId.values()].sort((a, b) => (a.id < b.id ? 1 : -1)));

  lab.on('sweep:status', (s) => {
    const before = byId.get(s.id);
    byId.set(s.id, s);
    // the record behind the summary changed (a run made or measured, a decision, the status): read it again
    if (records.has(s.id) && (!before || before.updatedAt !== s.updatedAt || before.status !== s.status || before.measured !== s.measured)) void loadRecord(s.id);
  });

  async function load(): Promise<void> {
    status.value = 'loading';
    loadError.value = null;
    try {
      const listing = await lab.sweeps.list();
      for (const s of listing.sweeps) {
        const known = byId.get(s.id);
        if (!known || known.updatedAt <= s.updatedAt) byId.set(s.id, s);
      }
      problems.value = listing.problems;
      status.value = 'ready';
    } catch (err) {
      loadError.value = messageOf(err);
      status.value = 'error';
    }
  }

  function recordOf(id: string): SweepRecord | null {
    void recordVersion.get(id);
    return records.get(id) ?? null;
  }

  /** Fetches a record (one request at a time per sweep; a change during it fetches again after). */
  function loadRecord(id: string): Promise<void> {
    const running = inFlight.get(id);
    if (running) return running.then(() => loadRecord(id));
    const job = (async () => {
      try {
        const r = await lab.sweeps.get(id);
        records.set(id, markRaw(r));
        recordErrors.delete(id);
        recordVersion.set(id, (recordVersion.get(id) ?? 0) + 1);
      } catch (err) {
        recordErrors.set(id, messageOf(err));
      } finally {
        inFlight.delete(id);
      }
    })();
    inFlight.set(id, job);
    return job;
  }

  function plan(request: SweepRequest): Promise<SweepPlanInfo> {
    return lab.sweeps.plan(request);
  }

  async function start(request: SweepRequest): Promise<SweepSummary> {
    const s = await lab.sweeps.start(request);
    byId.set(s.id, s);
    return s;
  }

  async function act(id: string, action: 'pause' | 'resume'): Promise<void> {
    pending.set(id, action);
    actionErrors.delete(id);
    try {
      const s = action === 'pause' ? await lab.sweeps.pause(id) : await lab.sweeps.resume(id);
      byId.set(id, { ...(byId.get(id) ?? s), ...s });
      await loadRecord(id);
    } catch (err) {
      actionErrors.set(id, messageOf(err));
    } finally {
      pending.delete(id);
    }
  }

  return {
    byId, sweeps, status, loadError, problems, load, recordOf, recordVersion, recordErrors, loadRecord, plan, start,
    pause: (id: string) => act(id, 'pause'), resume: (id: string) => act(id, 'resume'), pending, actionErrors,
  };
});
