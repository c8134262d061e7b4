/**
 * Argument validation for every channel (style.md: one schema per transmitted shape, validated at every
 * boundary). Arguments arrive from another process or a browser tab as plain JSON, so each channel's parser
 * turns `unknown[]` into its typed tuple or throws an Error whose message names the field and the allowed range.
 */
import { TARGET_IMPORT_LIMITS, type TargetImportRequest } from './lab-api';
import type { ChannelArgs, LabChannel } from './ipc';

export type ArgParsers = { [C in LabChannel]: (args: unknown[]) => ChannelArgs<C> };

export const LAB_ARG_PARSERS: ArgParsers = {
  'system:info': (args) => noArgs('system:info', args),
  'targets:list': (args) => noArgs('targets:list', args),
  'targets:import': (args) => {
    expectCount('targets:import', args, 1);
    return [parseTargetImportRequest(args[0])];
  },
};

/** Validates the channel's arguments; the channel name itself must already be known. */
export function parseChannelArgs<C extends LabChannel>(channel: C, args: unknown): ChannelArgs<C> {
  if (!Array.isArray(args)) throw new Error(`${channel}: arguments must be a list, got ${describe(args)}`);
  return LAB_ARG_PARSERS[channel](args) as ChannelArgs<C>;
}

export function parseTargetImportRequest(value: unknown): TargetImportRequest {
  const where = 'targets.import';
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new Error(`${where}: expected an object {name, bytesBase64, size, padding}, got ${describe(value)}`);
  }
  const v = value as Record<string, unknown>;
  const { size, padding, maxBytes, nameMaxLength } = TARGET_IMPORT_LIMITS;
  if (typeof v.name !== 'string' || v.name.trim() === '' || v.name.length > nameMaxLength) {
    throw new Error(`${where}: name must be a non-empty file name of at most ${nameMaxLength} characters`);
  }
  if (typeof v.bytesBase64 !== 'string' || v.bytesBase64.length === 0) {
    throw new Error(`${where}: bytesBase64 must be the file's bytes in base64; got ${describe(v.bytesBase64)}`);
  }
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(v.bytesBase64) || v.bytesBase64.length % 4 !== 0) {
    throw new Error(`${where}: bytesBase64 is not valid base64`);
  }
  // 4 base64 characters carry 3 bytes; checked before decoding so a huge string is refused cheaply
  if ((v.bytesBase64.length / 4) * 3 > maxBytes + 2) {
    throw new Error(`${where}: the file is larger than ${maxBytes / (1024 * 1024)} MB`);
  }
  return {
    name: v.name,
    bytesBase64: v.bytesBase64,
    size: intInRange(`${where}: size`, v.size, size.min, size.max),
    padding: intInRange(`${where}: padding`, v.padding, padding.min, padding.max),
  };
}

function noArgs(channel: LabChannel, args: unknown[]): [] {
  expectCount(channel, args, 0);
  return [];
}

function expectCount(channel: LabChannel, args: unknown[], n: number): void {
  if (args.length !== n) throw new Error(`${channel}: expected ${n} argument${n === 1 ? '' : 's'}, got ${args.length}`);
}

function intInRange(field: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new Error(`${field} must be an integer from ${min} to ${max}, got ${describe(value)}`);
  }
  return value;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return value.length > 40 ? `a string of ${value.length} characters` : JSON.stringify(value);
  if (typeof value === 'object') return 'an object';
  return String(value);
}
