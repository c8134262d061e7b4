/**
 * Experiments (the Compare view): the stored experiments of the workspace, the one whose results are open, and
 * the ones running, kept current by the pushed `experiment:progress` events. Results can be large (every curve
 * and frame), so they are held raw, not made reactive.
 */
import type { ExperimentProgressEvent, ExperimentResults, ExperimentRunRequest, ExperimentSummary } from '@shared/experiment';
import { defineStore } from 'pinia';
import { markRaw, reactive, ref, shallowRef } from 'vue';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import type { LoadStatus } from './targets';

export const useExperimentsStore = defineStore('experiments', () => {
  const list = shallowRef<ExperimentSummary[]>([]);
  const listStatus = ref<LoadStatus>('idle');
  const listError = ref<string | null>(null);
  /** progress of experiments started in this window (and any other: events reach every window) */
  const progress = reactive(new Map<string, ExperimentProgressEvent>());
  const current = shallowRef<ExperimentResults | null>(null);
  const currentStatus = ref<LoadStatus>('idle');
  const currentError = ref<string | null>(null);
  /** the experiment this window started last, whose results open when it is done */
  const following = ref<string | null>(null);
  const startError = ref<string | null>(null);

  lab.on('experiment:progress', (e) => {
    progress.set(e.id, e);
    if (e.phase === 'done') {
      void loadList();
      if (following.value === e.id) void open(e.id);
    }
  });

  async function loadList(): Promise<void> {
    listStatus.value = 'loading';
    try {
      list.value = await lab.experiments.list();
      listStatus.value = 'ready';
      listError.value = null;
    } catch (err) {
      listStatus.value = 'error';
      listError.value = messageOf(err);
    }
  }

  async function open(id: string): Promise<void> {
    currentStatus.value = 'loading';
    try {
      current.value = markRaw(await lab.experiments.get(id));
      currentStatus.value = 'ready';
      currentError.value = null;
    } catch (err) {
      currentStatus.value = 'error';
      currentError.value = messageOf(err);
    }
  }

  async function start(request: ExperimentRunRequest): Promise<string | null> {
    startError.value = null;
    try {
      const { id } = await lab.experiments.run(request);
      following.value = id;
      if (!progress.has(id)) {
        progress.set(id, { id, phase: 'loading', jobsDone: 0, jobs: 0, updatesDone: 0, updatesTotal: 0, elapsedSeconds: 0 });
      }
      return id;
    } catch (err) {
      startError.value = messageOf(err);
      return null;
    }
  }

  async function cancel(id: string): Promise<void> {
    try {
      await lab.experiments.cancel(id);
    } catch (err) {
      startError.value = messageOf(err);
    }
  }

  return { list, listStatus, listError, progress, current, currentStatus, currentError, following, startError, loadList, open, start, cancel };
});
