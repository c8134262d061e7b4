/**
 * LabApi: everything the renderer may ask of the rest of the lab, grouped by domain (style.md: one preload
 * object, `lab.targets.list()`, as in Heynote). The renderer sees only this interface; it is implemented by the
 * Electron preload (over ipcRenderer) and by the browser bridge client (over a WebSocket), both built from the
 * one channel map in `ipc.ts`.
 *
 * Adding a domain (runs, models, experiments, settings): declare its request/response shapes here, add a
 * `domain: { method(...): Promise<…> }` member to LabApi, its channels to `LabChannels` and `LAB_API_ROUTES`
 * in ipc.ts, their argument parsers in ipc-schema.ts, and the handlers in LabService. The compiler points at
 * every place that is still missing. Pushed streams (run progress) are entries of `LabEvents`.
 *
 * Everything here crosses a process boundary as JSON or a structured clone: plain objects, strings, numbers.
 */
import type { BackendName } from '../core/backend';

export interface SystemInfo {
  /** the lab's package version */
  version: string;
  /** the tfjs backend Node-side compute uses (training workers, CLI) */
  backend: BackendName;
  /** backends tried before `backend` and why they could not be used */
  skippedBackends: { name: BackendName; reason: string }[];
  /** logical CPU cores available to the lab's processes */
  cores: number;
  /** absolute path of the workspace folder */
  workspace: string;
}

/**
 * A target as it crosses the boundary: the fields of core's `Target`, with the premultiplied pixels as the
 * base64 of their float32 little-endian bytes (exact, and a quarter the size of a JSON number list).
 * Decode with `decodeFloat32Base64` (shared/float32-base64.ts).
 */
export interface TargetData {
  /** built-in name (`carrot-9`) or the imported file's base name */
  name: string;
  builtin: boolean;
  /** the emoji a built-in was made from (`🥕`); absent for imports */
  emoji?: string;
  /** image size before padding */
  size: number;
  /** zero padding on every side */
  padding: number;
  /** canvas = size + 2·padding */
  height: number;
  width: number;
  /** premultiplied RGBA float32, [height][width][4] */
  rgbaF32Base64: string;
}

/** Limits of an imported target, checked at the boundary (ipc-schema.ts) and shown by the import form. */
export const TARGET_IMPORT_LIMITS = {
  size: { min: 1, max: 128 },
  padding: { min: 0, max: 64 },
  /** decoded file size; a 128×128 emoji PNG is ≈20 KB, a photo a few MB */
  maxBytes: 16 * 1024 * 1024,
  nameMaxLength: 200,
} as const;

export interface TargetImportRequest {
  /** the file name as the user chose it (`heart.png`); the target is named after its base name */
  name: string;
  /** the file's bytes (PNG, JPEG or WebP), base64 */
  bytesBase64: string;
  /** the image is fitted into size×size (spec b.2) */
  size: number;
  padding: number;
}

/** Events the lab pushes to every window / browser tab: event name → payload. */
export interface LabEvents {
  /** a target was imported (by any window), so every open gallery can list it */
  'targets:imported': TargetData;
}

export type LabEventName = keyof LabEvents;

/** One pushed event as a tagged value: what the bridge sends as `{event, payload}`. */
export type LabEventMessage = { [E in LabEventName]: { event: E; payload: LabEvents[E] } }[LabEventName];

export type Unsubscribe = () => void;

export interface LabApi {
  system: {
    info(): Promise<SystemInfo>;
  };
  targets: {
    /** the built-in targets (resources/targets), with their pixels */
    list(): Promise<TargetData[]>;
    /** decodes an image file and returns it as a target; rejects with a message that names the problem */
    import(request: TargetImportRequest): Promise<TargetData>;
  };
  /** Subscribes to a pushed event; returns the function that unsubscribes. */
  on<E extends LabEventName>(event: E, listener: (payload: LabEvents[E]) => void): Unsubscribe;
}

/** How an error crosses the boundary: only its message (stacks and paths of the other process stay there). */
export interface LabErrorData {
  message: string;
}
