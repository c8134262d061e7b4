/**
 * The thesis's study (Compare → "Reproduce the study"): the budgets it can run on, every study of the workspace
 * with its latest progress (kept current by the pushed `reproduce:progress` events, from any window), the one the
 * panel shows, and a finished study's figure index with its files fetched through the LabApi as blob URLs (the
 * study's folder is on the lab's machine, which may not be this one).
 */
import type { FigureIndex, ReproduceBudget, ReproduceProgressEvent } from '@shared/reproduce';
import { REPRODUCE_ENDED } from '@shared/reproduce';
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowRef } from 'vue';
import { downloadBlob } from '../lib/download';
import { messageOf } from '../lib/format';
import { lab } from '../lib/lab';
import type { LoadStatus } from './targets';

export function isStudyRunning(e: ReproduceProgressEvent): boolean {
  return !REPRODUCE_ENDED.includes(e.phase);
}

function blobOf(bytesBase64: string, mime: string): Blob {
  const bin = atob(bytesBase64);
  const bytes = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i);
  return new Blob([bytes], { type: mime });
}

export const useReproduceStore = defineStore('reproduce', () => {
  const budgets = shallowRef<{ quick: ReproduceBudget; full: ReproduceBudget; trainings: number } | null>(null);
  const studies = reactive(new Map<string, ReproduceProgressEvent>());
  const status = ref<LoadStatus>('idle');
  const error = ref<string | null>(null);
  const startError = ref<string | null>(null);
  const starting = ref(false);
  /** the study the panel shows (null: the newest) */
  const chosenId = ref<string | null>(null);
  const index = shallowRef<FigureIndex | null>(null);
  const indexId = ref<string | null>(null);
  const indexStatus = ref<LoadStatus>('idle');
  const indexError = ref<string | null>(null);
  /** blob URLs of the shown index's files, by file; revoked when another study is shown */
  const urls = new Map<string, Promise<string>>();

  const sorted = computed(() => [...studies.values()].sort((a, b) => (a.startedAt === b.startedAt ? (a.id < b.id ? 1 : -1) : a.startedAt < b.startedAt ? 1 : -1)));
  const shown = computed(() => (chosenId.value ? studies.get(chosenId.value) ?? null : sorted.value[0] ?? null));
  const running = computed(() => sorted.value.find(isStudyRunning) ?? null);

  lab.on('reproduce:progress', (e) => {
    studies.set(e.id, e);
    if (e.phase === 'done' && shown.value?.id === e.id) void loadIndex(e.id);
  });

  async function load(): Promise<void> {
    status.value = 'loading';
    try {
      const o = await lab.experiments.reproductions();
      budgets.value = { quick: o.quick, full: o.full, trainings: o.trainings };
      for (const s of o.studies) {
        // an event may have arrived while the list was on its way: keep the newer
        const known = studies.get(s.id);
        if (!known || known.elapsedSeconds <= s.elapsedSeconds) studies.set(s.id, s);
      }
      status.value = 'ready';
      error.value = null;
      const s = shown.value;
      if (s?.phase === 'done' && indexId.value !== s.id) void loadIndex(s.id);
    } catch (err) {
      status.value = 'error';
      error.value = messageOf(err);
    }
  }

  async function start(quick: boolean, reuse: boolean): Promise<void> {
    startError.value = null;
    starting.value = true;
    try {
      const { id } = await lab.experiments.reproduce({ quick, reuse });
      chosenId.value = id;
      clearIndex();
    } catch (err) {
      startError.value = messageOf(err);
    } finally {
      starting.value = false;
    }
  }

  async function cancel(id: string): Promise<void> {
    try {
      await lab.experiments.cancelReproduce(id);
    } catch (err) {
      startError.value = messageOf(err);
    }
  }

  function show(id: string): void {
    chosenId.value = id;
    const s = studies.get(id);
    if (s?.phase === 'done') void loadIndex(id);
    else clearIndex();
  }

  function clearIndex(): void {
    for (const u of urls.values()) void u.then((url) => URL.revokeObjectURL(url), () => undefined);
    urls.clear();
    index.value = null;
    indexId.value = null;
    indexStatus.value = 'idle';
    indexError.value = null;
  }

  async function loadIndex(id: string): Promise<void> {
    if (indexId.value !== id) clearIndex();
    indexId.value = id;
    indexStatus.value = 'loading';
    try {
      const loaded = markRaw(await lab.experiments.reproduceIndex(id));
      if (indexId.value !== id) return;
      index.value = loaded;
      indexStatus.value = 'ready';
    } catch (err) {
      if (indexId.value !== id) return;
      indexStatus.value = 'error';
      indexError.value = messageOf(err);
    }
  }

  /** A blob URL of a file of the shown study's figure set, fetched once. */
  function fileUrl(file: string): Promise<string> {
    const id = indexId.value;
    if (!id) return Promise.reject(new Error('no study is shown'));
    let url = urls.get(file);
    if (!url) {
      url = lab.experiments.reproduceFile(id, file).then((f) => URL.createObjectURL(blobOf(f.bytesBase64, f.mime)));
      url.catch(() => urls.delete(file));
      urls.set(file, url);
    }
    return url;
  }

  async function download(file: string): Promise<void> {
    const id = indexId.value;
    if (!id) return;
    try {
      const f = await lab.experiments.reproduceFile(id, file);
      downloadBlob(blobOf(f.bytesBase64, f.mime), file.split('/').join('-'));
    } catch (err) {
      indexError.value = messageOf(err);
    }
  }

  return {
    budgets, studies, sorted, shown, running, status, error, startError, starting, index, indexId, indexStatus, indexError,
    load, start, cancel, show, fileUrl, download,
  };
});
