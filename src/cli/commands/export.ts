/**
 * `nca-lab export MODEL`: a model as one file (services/models/model-export.ts), the same file the window's
 * Models → Export downloads: the lab's `<id>.nca-model.json`, which `nca-lab import` and the window read back under
 * the model's own name with its metadata, or the Distill demo's JSON with the lab's note of the model.
 */
import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { exportModelFiles } from '../../services/models/model-export';
import { findLibraryModel } from '../../services/models/model-library';
import { writeBytesAtomic } from '../../services/store/atomic-file';
import { isValidRunId, LabStore } from '../../services/store/lab-store';
import { resolveWorkspaceDir } from '../../services/store/workspace-path';
import { checkFolderCanBeMade, makeFolder } from '../../services/store/writable-dir';
import type { ModelRef } from '../../shared/lab-api';
import type { ModelFileFormat } from '../../shared/model-source';
import { UsageError, type Command } from '../command';
import { parseCommandArgs } from '../flags';

/** The --format words, for the lab's two model file formats (shared/model-source.ts). */
const FORMATS: Record<string, ModelFileFormat> = { lab: 'nca-lab', distill: 'distill-webgl' };

/** MODEL as the lab knows it: RUN_ID@GENERATION, a run, or a built-in or imported model; else why not. */
async function modelRef(store: LabStore, spec: string): Promise<ModelRef> {
  const at = /^(.+)@(\d+)$/.exec(spec);
  if (at && isValidRunId(at[1])) return { kind: 'run', runId: at[1], generation: Number(at[2]) };
  if (isValidRunId(spec) && (await store.getRun(spec).then(() => true, () => false))) return { kind: 'run', runId: spec };
  if (await findLibraryModel(store.workspace, spec)) return { kind: 'library', id: spec };
  throw new UsageError(`"${spec}" is neither a run of ${store.runsDir} (RUN_ID or RUN_ID@GENERATION) nor a built-in or imported model (nca-lab runs, the Models view)`);
}

export const exportCommand: Command = {
  summary: 'export a model as one file that imports back: the lab\'s .nca-model.json or the Distill demo\'s JSON',
  usage: `nca-lab export MODEL [--format lab|distill] [--out PATH] [--json] [--workspace DIR]

Writes MODEL as one file, the file the window's Models → Export downloads. MODEL is a run (its final model, else
its newest checkpoint), RUN_ID@GENERATION (that checkpoint) or a built-in or imported model's id.

  --format lab      (default) <id>.nca-model.json: the lab's model.json with the weights inline; \`nca-lab import\`
                    and the window's Import read it back under the model's name, with its target, shape, origin
                    and, for a run, its config, generation and best loss
  --format distill  <id>.distill.json: the Distill demo's two 8-bit layers (hidden layer padded to 128 units), with
                    the lab's note of the model's real shape and origin, so it imports back as itself
  --out PATH        the file to write, or a folder to write it in (an existing folder or PATH ending in /;
                    default: the current folder)
  --json            one JSON object {"file", "bytes", "format"}`,

  async run(argv, io) {
    const { values, positionals } = parseCommandArgs(argv, { format: { type: 'string' }, out: { type: 'string' }, json: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError(positionals.length === 0 ? 'missing MODEL (a run id, RUN_ID@GENERATION or a model id)' : `one MODEL at a time, got ${positionals.length}`);
    const format = FORMATS[values.format ?? 'lab'];
    if (!format) throw new UsageError(`--format must be ${Object.keys(FORMATS).join(' or ')}, got "${values.format}"`);
    const store = new LabStore(resolveWorkspaceDir(values.workspace));
    const ref = await modelRef(store, positionals[0]);
    const [file] = (await exportModelFiles(store, ref, format)).files;
    // everything is checked before the file is written: the model read, the folder writable
    const out = resolve(values.out ?? '.');
    // a folder: the default, an existing one, or a path that ends with a slash
    const isFolder = values.out === undefined || /[\\/]$/.test(values.out) || (await stat(out).then((s) => s.isDirectory(), () => false));
    const path = isFolder ? join(out, file.name) : out;
    await checkFolderCanBeMade(dirname(path), 'the --out folder');
    await makeFolder(dirname(path), 'the --out folder');
    const bytes = Buffer.from(file.bytesBase64, 'base64');
    await writeBytesAtomic(path, bytes, { what: 'model file' });
    if (values.json) io.out(JSON.stringify({ file: path, bytes: bytes.length, format }));
    else io.out(`wrote ${path} (${bytes.length.toLocaleString('en-US')} bytes, ${format === 'nca-lab' ? 'the lab\'s format: nca-lab import reads it back' : 'the Distill demo\'s format'})`);
    return 0;
  },
};
