/**
 * Flag parsing shared by every command (node:util parseArgs, strict): the flags all commands take
 * (`--workspace DIR`, `--help`), and numbers checked with a message that names the flag and its range
 * (CONTRIBUTING.md, "Conventions": "validated at every boundary … names the field and the allowed range").
 */
import { statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command';
import { hasControlCharacters, messageOf } from '../shared/validate';

type OptionSpecs = NonNullable<ParseArgsConfig['options']>;

/** Flags every command accepts. */
export const COMMON_FLAGS = {
  workspace: { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

/** What parseCommandArgs returns: parseArgs' typed result for the common flags plus the command's. */
export type ParsedCommandArgs<O extends OptionSpecs> = ReturnType<
  typeof parseArgs<{ args: string[]; options: typeof COMMON_FLAGS & O; allowPositionals: true; strict: true }>
>;

/**
 * `--workspace DIR` and `--help` plus the command's own flags; parse errors become UsageErrors. The workspace is
 * checked here, before any command reads or writes it: an empty value would otherwise mean the default folder,
 * and a file in its path would surface later as a raw ENOTDIR from whatever touched it first.
 */
export function parseCommandArgs<O extends OptionSpecs>(argv: string[], options: O): ParsedCommandArgs<O> {
  let parsed: ParsedCommandArgs<O>;
  try {
    parsed = parseArgs({ args: argv, options: { ...COMMON_FLAGS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(messageOf(err));
  }
  const workspace = (parsed.values as { workspace?: string }).workspace;
  if (workspace !== undefined) checkWorkspaceFlag(workspace);
  return parsed;
}

/** --workspace DIR: a folder's path (made when first written), not empty, without control characters, no file in the way. */
export function checkWorkspaceFlag(value: string): void {
  if (value.trim() === '') {
    throw new UsageError('--workspace needs a folder, got an empty value (leave the flag out to use the default workspace)');
  }
  if (hasControlCharacters(value)) throw new UsageError(`--workspace ${JSON.stringify(value)} holds control characters`);
  // the nearest part of the path that exists must be a folder
  for (let p = resolve(value); ; p = dirname(p)) {
    const st = statOrNull(p);
    if (st) {
      if (!st.isDirectory()) {
        throw new UsageError(p === resolve(value) ? `--workspace ${value} is a file, not a folder` : `--workspace ${value}: ${p} is a file, not a folder`);
      }
      return;
    }
    if (dirname(p) === p) return;
  }
}

function statOrNull(path: string) {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}

/** An integer flag in [min, max]; `undefined` when the flag was not given. */
export function integerFlag(flag: string, value: string | undefined, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const n = /^[+-]?\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new UsageError(`--${flag} must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

/** Exactly one positional argument per name in `names`; missing or extra ones are named in the message. */
export function expectPositionals(positionals: string[], names: string[]): string[] {
  if (positionals.length < names.length) {
    throw new UsageError(`missing ${names.slice(positionals.length).join(' ')}`);
  }
  if (positionals.length > names.length) {
    throw new UsageError(`unexpected argument${positionals.length - names.length > 1 ? 's' : ''}: ${positionals.slice(names.length).join(' ')}`);
  }
  return positionals;
}
