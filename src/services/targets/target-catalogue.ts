/**
 * The targets a workspace offers the window (docs/architecture.md, "Targets"): the built-in emoji, decoded once,
 * then the images imported into the workspace's targets/ folder, read from disk on each list because another
 * process (a second window, `nca-lab target --keep`) may add some. Imports, renames and deletions go through the
 * same importer and folder rules as the CLI's; what changed is announced through `changed`.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Target } from '../../core/targets/target';
import { encodeFloat32Base64 } from '../../shared/float32-base64';
import type { TargetData, TargetImportRequest } from '../../shared/lab-api';
import { messageOf } from '../../shared/validate';
import {
  deleteImportedTarget, listImportedTargets, renameImportedTarget, safeFileName, saveImportedTarget, type ImportedTarget,
} from './imported-targets';
import { importTargetImage, listBuiltinTargets, loadBuiltinTarget } from './targets';

export interface TargetCatalogueOptions {
  /** the workspace's folder of imported targets */
  dir: string;
  /** the runs that train on an imported file (they need it to resume and to fork) */
  runsUsing(file: string): Promise<{ id: string; name: string }[]>;
  /** the catalogue changed (an import kept, a rename, a deletion) */
  changed(reason: 'import' | 'rename' | 'delete'): void;
  /** an image was decoded for the window (kept or not) */
  imported(data: TargetData): void;
}

export class TargetCatalogue {
  private builtins: Promise<TargetData[]> | null = null;

  constructor(private readonly opts: TargetCatalogueOptions) {}

  /** The built-ins, then the workspace's imported targets. */
  async list(): Promise<TargetData[]> {
    const [builtins, imported] = await Promise.all([this.builtinList(), listImportedTargets(this.opts.dir)]);
    for (const p of imported.problems) console.error(`nca-lab: imported target ${p.id} cannot be read: ${p.message}`);
    return [...builtins, ...imported.targets.map(importedToData)];
  }

  /** The built-ins never change while the lab runs: decoded once, then served from memory. */
  private builtinList(): Promise<TargetData[]> {
    if (!this.builtins) {
      this.builtins = (async () => listBuiltinTargets().map((info) => ({ ...targetToData(loadBuiltinTarget(info.name), true), emoji: info.emoji })))();
      this.builtins.catch(() => {
        this.builtins = null; // a failed read (missing resources) is retried on the next call
      });
    }
    return this.builtins;
  }

  /** Keeps an image in the workspace under a name derived from its content (as a run's imported target is kept). */
  async keep(fileName: string, bytes: Buffer, size: number, padding: number): Promise<ImportedTarget> {
    await mkdir(this.opts.dir, { recursive: true });
    return saveImportedTarget(this.opts.dir, { fileName, bytes, size, padding });
  }

  /**
   * Decodes the bytes with the same importer the CLI uses (importTargetImage reads a file, so the bytes go
   * to a private temporary folder under the file's own name), and reports errors with the user's file name
   * rather than the temporary path.
   */
  async import(request: TargetImportRequest): Promise<TargetData> {
    if (request.keep) {
      const data = importedToData(await this.keep(request.name, Buffer.from(request.bytesBase64, 'base64'), request.size, request.padding));
      this.opts.imported(data);
      this.opts.changed('import');
      return data;
    }
    const fileName = safeFileName(request.name);
    const dir = await mkdtemp(join(tmpdir(), 'nca-lab-import-'));
    const path = join(dir, fileName);
    try {
      await writeFile(path, Buffer.from(request.bytesBase64, 'base64'));
      let target: Target;
      try {
        target = await importTargetImage(path, { size: request.size, padding: request.padding });
      } catch (err) {
        throw new Error(messageOf(err).split(path).join(fileName), { cause: err });
      }
      const data = targetToData(target, false);
      this.opts.imported(data);
      return data;
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  async rename(id: string, name: string): Promise<TargetData> {
    await renameImportedTarget(this.opts.dir, id, name);
    const found = (await listImportedTargets(this.opts.dir)).targets.find((t) => t.meta.id === id);
    if (!found) throw new Error(`imported target "${id}" cannot be read after renaming it`);
    this.opts.changed('rename');
    return importedToData(found);
  }

  /** Refused while runs name the image: they need it to resume and to fork. */
  async delete(id: string): Promise<void> {
    await deleteImportedTarget(this.opts.dir, id, await this.opts.runsUsing(join(this.opts.dir, id)));
    this.opts.changed('delete');
  }
}

export function targetToData(target: Target, builtin: boolean): TargetData {
  return {
    name: target.name,
    builtin,
    size: target.size,
    padding: target.padding,
    height: target.height,
    width: target.width,
    rgbaF32Base64: encodeFloat32Base64(target.rgba),
  };
}

function importedToData(t: ImportedTarget): TargetData {
  return {
    ...targetToData(t.target, false),
    imported: { id: t.meta.id, file: t.file, source: t.meta.source, importedAt: t.meta.importedAt },
  };
}
