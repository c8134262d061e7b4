/**
 * Flag parsing shared by every command (node:util parseArgs, strict): the flags all commands take
 * (`--workspace DIR`, `--help`), and numbers checked with a message that names the flag and its range
 * (CONTRIBUTING.md, "Conventions": "validated at every boundary … names the field and the allowed range").
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { UsageError } from './command';
import { messageOf } from '../shared/validate';

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

/** `--workspace DIR` and `--help` plus the command's own flags; parse errors become UsageErrors. */
export function parseCommandArgs<O extends OptionSpecs>(argv: string[], options: O): ParsedCommandArgs<O> {
  try {
    return parseArgs({ args: argv, options: { ...COMMON_FLAGS, ...options }, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(messageOf(err));
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
