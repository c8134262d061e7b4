/**
 * Imported targets kept in the workspace: the image file in `<workspace>/targets/`, named by its
 * content (`heart-1a2b3c4d.png`, so importing the same image twice keeps one file), and beside it a small JSON file
 * with what the user chose: the name shown in the lab, the file it came from, the size and padding it is previewed
 * and trained at. Runs name the image file in their config (so a run resumes and forks from it); the JSON is what
 * lists it beside the built-ins, renames it, and deletes it (refused while a run still trains on it).
 */
import { createHash } from 'node:crypto';
import { readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import type { Target } from '../../core/targets/target';
import { TARGET_IMPORT_LIMITS } from '../../shared/lab-api';
import { messageOf, withoutControlCharacters } from '../../shared/validate';
import { importTargetImage } from './targets';
import { isImportedTargetId } from '../../shared/ipc-schema';

export interface ImportedTargetMeta {
  /** the image's file name in targets/ (the id in the LabApi) */
  id: string;
  /** what the lab calls it (rename changes only this) */
  name: string;
  /** the file the user imported, as they named it */
  source: string;
  size: number;
  padding: number;
  /** ISO 8601 */
  importedAt: string;
}

export interface ImportedTarget {
  meta: ImportedTargetMeta;
  /** absolute path of the image (what a run's config.target.name holds) */
  file: string;
  target: Target;
}

const META_SUFFIX = '.target.json';

/** The user's file name, reduced to a plain base name (no folders, nothing hidden) that is safe to create. */
export function safeFileName(name: string): string {
  const base = withoutControlCharacters(basename(name.replace(/\\/g, '/'))).trim();
  return base === '' || base === '.' || base === '..' ? 'image' : base.startsWith('.') ? `image${base}` : base;
}

/** `heart.png` + its bytes → `heart-1a2b3c4d.png` (the first 8 hex digits of the bytes' SHA-256). */
export function importedFileName(fileName: string, bytes: Uint8Array): string {
  const safe = safeFileName(fileName);
  // the id keeps to the characters an id may hold (isImportedTargetId), the extension too: "x.p ng" → "x-….png"
  const given = extname(safe).toLowerCase();
  const ext = /^\.[a-z0-9]{1,8}$/.test(given) ? given : '.png';
  const stem = (basename(safe, extname(safe)) || 'image').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/\.{2,}/g, '.').replace(/^[^A-Za-z0-9]+/, '').slice(0, 60) || 'image';
  const id = `${stem}-${createHash('sha256').update(bytes).digest('hex').slice(0, 8)}${ext}`;
  if (!isImportedTargetId(id)) throw new Error(`cannot name the imported target "${safe}" (it became "${id}")`);
  return id;
}

function metaPath(dir: string, id: string): string {
  return join(dir, `${id}${META_SUFFIX}`);
}

/** An id names one image file directly inside targets/ (never a path elsewhere). */
function checkId(id: string): void {
  if (!isImportedTargetId(id) || id.endsWith(META_SUFFIX) || id.endsWith('.tmp')) {
    throw new Error(`"${id}" is not an imported target's id`);
  }
}

/**
 * Decodes the image at size/padding (errors name the user's file, not the workspace path), keeps it in `dir` and
 * writes its JSON. Importing the same bytes again keeps the file and its name, and takes the new size and padding.
 */
export async function saveImportedTarget(
  dir: string,
  request: { fileName: string; bytes: Uint8Array; size: number; padding: number; name?: string },
  now: () => Date = () => new Date(),
): Promise<ImportedTarget> {
  const id = importedFileName(request.fileName, request.bytes);
  const file = join(dir, id);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, request.bytes);
  let target: Target;
  try {
    target = await importTargetImage(tmp, { size: request.size, padding: request.padding });
  } catch (err) {
    await rm(tmp, { force: true });
    throw new Error(messageOf(err).split(tmp).join(safeFileName(request.fileName)), { cause: err });
  }
  await rename(tmp, file);
  const before = await readMeta(dir, id).catch(() => null);
  const stem = basename(safeFileName(request.fileName), extname(request.fileName)) || 'image';
  const meta: ImportedTargetMeta = {
    id,
    name: (request.name?.trim() || before?.name || stem).slice(0, TARGET_IMPORT_LIMITS.nameMaxLength),
    source: safeFileName(request.fileName),
    size: request.size,
    padding: request.padding,
    importedAt: before?.importedAt ?? now().toISOString(),
  };
  await writeMeta(dir, meta);
  return { meta, file, target: { ...target, name: meta.name } };
}

async function readMeta(dir: string, id: string): Promise<ImportedTargetMeta> {
  const v = JSON.parse(await readFile(metaPath(dir, id), 'utf8')) as Record<string, unknown>;
  const int = (x: unknown, field: string) => {
    if (typeof x !== 'number' || !Number.isInteger(x) || x < 0) throw new Error(`${metaPath(dir, id)}: ${field} must be an integer ≥ 0`);
    return x;
  };
  const str = (x: unknown, field: string) => {
    if (typeof x !== 'string' || x === '') throw new Error(`${metaPath(dir, id)}: ${field} must be a non-empty string`);
    return x;
  };
  return {
    id, name: str(v.name, 'name'), source: str(v.source, 'source'), size: int(v.size, 'size'), padding: int(v.padding, 'padding'),
    importedAt: str(v.importedAt, 'importedAt'),
  };
}

async function writeMeta(dir: string, meta: ImportedTargetMeta): Promise<void> {
  const path = metaPath(dir, meta.id);
  const tmp = `${path}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify(meta, null, 2) + '\n');
  await rename(tmp, path);
}

/** Every imported target of the workspace, newest first; one whose image or JSON cannot be read is left out (and named). */
export async function listImportedTargets(dir: string): Promise<{ targets: ImportedTarget[]; problems: { id: string; message: string }[] }> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return { targets: [], problems: [] };
  }
  const problems: { id: string; message: string }[] = [];
  const targets: ImportedTarget[] = [];
  await Promise.all(names.filter((n) => n.endsWith(META_SUFFIX)).map(async (n) => {
    const id = n.slice(0, -META_SUFFIX.length);
    try {
      const meta = await readMeta(dir, id);
      const file = join(dir, id);
      const target = await importTargetImage(file, { size: meta.size, padding: meta.padding });
      targets.push({ meta, file, target: { ...target, name: meta.name } });
    } catch (err) {
      problems.push({ id, message: messageOf(err) });
    }
  }));
  targets.sort((a, b) => (a.meta.importedAt < b.meta.importedAt ? 1 : a.meta.importedAt > b.meta.importedAt ? -1 : a.meta.id < b.meta.id ? -1 : 1));
  return { targets, problems };
}

export async function renameImportedTarget(dir: string, id: string, name: string): Promise<ImportedTargetMeta> {
  checkId(id);
  const trimmed = name.trim();
  if (trimmed === '') throw new Error('a target\'s name cannot be empty');
  const meta = { ...(await readMeta(dir, id).catch(() => {
    throw new Error(`there is no imported target "${id}" in this workspace`);
  })), name: trimmed.slice(0, TARGET_IMPORT_LIMITS.nameMaxLength) };
  await writeMeta(dir, meta);
  return meta;
}

/**
 * Removes the image and its JSON. `usedBy` are the runs whose config names the image: they need it to resume or
 * fork, so the target is kept and the message names them.
 */
export async function deleteImportedTarget(dir: string, id: string, usedBy: { id: string; name: string }[]): Promise<void> {
  checkId(id);
  await stat(metaPath(dir, id)).catch(() => {
    throw new Error(`there is no imported target "${id}" in this workspace`);
  });
  if (usedBy.length > 0) {
    const names = usedBy.slice(0, 3).map((r) => `"${r.name}"`).join(', ') + (usedBy.length > 3 ? ` and ${usedBy.length - 3} more` : '');
    throw new Error(`${usedBy.length} run${usedBy.length === 1 ? ' trains' : 's train'} on this target (${names}): delete ${usedBy.length === 1 ? 'that run' : 'those runs'} first, or keep the target`);
  }
  await rm(metaPath(dir, id), { force: true });
  await rm(join(dir, id), { force: true });
}
