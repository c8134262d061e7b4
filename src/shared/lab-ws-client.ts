/**
 * LabApi over the bridge's WebSocket (bridge-protocol.ts), for the renderer in a plain browser. Written against
 * a minimal WebSocket shape so it runs on the browser's WebSocket and, in unit tests, on the `ws` package.
 */
import type { LabApi, LabEventName, Unsubscribe } from './lab-api';
import { BRIDGE_CLOSE_TOO_BIG, BRIDGE_MAX_FRAME_BYTES, bridgeRequestFrames, megabytes, type BridgeRequest } from './bridge-protocol';
import { isLabEventName, type LabChannel } from './ipc';
import { createLabApi, errorFromData, type LabTransport } from './lab-client';

/** The part of the WebSocket API this client uses (the browser's and the `ws` package's both fit). */
export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'error', listener: () => void): void;
  addEventListener(type: 'close', listener: (event: { code?: number; reason?: string }) => void): void;
  addEventListener(type: 'message', listener: (event: { data: unknown }) => void): void;
}

export interface WebSocketLabOptions {
  /** ws://host:port/ws?token=… */
  url: string;
  createSocket: (url: string) => WebSocketLike;
  /** delay before reconnecting after a drop while event listeners exist; doubles up to 10 s */
  reconnectDelayMs?: number;
}

const OPEN = 1;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (err: Error) => void;
}

export function createWebSocketTransport(options: WebSocketLabOptions): LabTransport & { close(): void } {
  const baseDelay = options.reconnectDelayMs ?? 500;
  let socket: Promise<WebSocketLike> | null = null;
  let nextId = 1;
  let delay = baseDelay;
  let closedByUser = false;
  let reconnectTimer: ReturnType<typeof setTimeout> | null = null;
  const pending = new Map<number, Pending>();
  const listeners = new Map<LabEventName, Set<(payload: unknown) => void>>();

  const listenerCount = () => [...listeners.values()].reduce((n, s) => n + s.size, 0);

  function connect(): Promise<WebSocketLike> {
    if (socket) return socket;
    const attempt = new Promise<WebSocketLike>((resolve, reject) => {
      let opened = false;
      const ws = options.createSocket(options.url);
      ws.addEventListener('open', () => {
        opened = true;
        delay = baseDelay;
        resolve(ws);
      });
      ws.addEventListener('message', (event) => onMessage(event.data));
      ws.addEventListener('error', () => {
        // the close event follows and does the cleanup; browsers give no reason here
      });
      ws.addEventListener('close', (event) => {
        if (socket === attempt) socket = null;
        const err = new Error(
          event?.code === BRIDGE_CLOSE_TOO_BIG
            ? `the lab closed the connection: a message was larger than the ${megabytes(BRIDGE_MAX_FRAME_BYTES)} one frame may carry`
            : opened
              ? 'the connection to the lab closed; is `nca-lab serve` still running?'
              : 'cannot connect to the lab: is `nca-lab serve` running, and is the token in the address the current one?',
        );
        if (!opened) reject(err);
        for (const p of pending.values()) p.reject(err);
        pending.clear();
        scheduleReconnect();
      });
    });
    socket = attempt;
    attempt.catch(() => {
      // a failed attempt is reported to the callers that awaited it; nothing else to do
    });
    return attempt;
  }

  // Events only arrive on an open socket, so keep one open while anybody listens.
  function scheduleReconnect(): void {
    if (closedByUser || reconnectTimer || listenerCount() === 0) return;
    reconnectTimer = setTimeout(() => {
      reconnectTimer = null;
      connect().catch(() => undefined);
    }, delay);
    delay = Math.min(delay * 2, 10_000);
  }

  function onMessage(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: Record<string, unknown>;
    try {
      msg = JSON.parse(data) as Record<string, unknown>;
    } catch {
      return;
    }
    if (typeof msg.event === 'string') {
      if (!isLabEventName(msg.event)) return;
      for (const listener of listeners.get(msg.event) ?? []) listener(msg.payload);
      return;
    }
    if (typeof msg.id !== 'number') return;
    const p = pending.get(msg.id);
    if (!p) return;
    pending.delete(msg.id);
    if ('error' in msg) p.reject(errorFromData(msg.error as { message: string }));
    else p.resolve(msg.result);
  }

  return {
    async invoke(channel: LabChannel, args: unknown[]): Promise<unknown> {
      closedByUser = false;
      const id = nextId++;
      const request: BridgeRequest = { id, channel, args };
      // checked before connecting: a request over the limit is refused here, with its size, and nothing is sent
      const frames = bridgeRequestFrames(request);
      const ws = await connect();
      return new Promise((resolve, reject) => {
        pending.set(id, { resolve, reject });
        if (ws.readyState !== OPEN) {
          pending.delete(id);
          reject(new Error('the connection to the lab closed; is `nca-lab serve` still running?'));
          return;
        }
        // a large request goes in parts, so no frame comes near the server's frame limit
        for (const frame of frames) ws.send(frame);
      });
    },
    subscribe(event: LabEventName, listener: (payload: unknown) => void): Unsubscribe {
      closedByUser = false;
      let set = listeners.get(event);
      if (!set) listeners.set(event, (set = new Set()));
      set.add(listener);
      connect().catch(() => scheduleReconnect());
      return () => {
        set.delete(listener);
      };
    },
    close(): void {
      closedByUser = true;
      if (reconnectTimer) clearTimeout(reconnectTimer);
      reconnectTimer = null;
      socket?.then((ws) => ws.close(1000, 'client closed')).catch(() => undefined);
      socket = null;
    },
  };
}

export function createWebSocketLab(options: WebSocketLabOptions): LabApi & { close(): void } {
  const transport = createWebSocketTransport(options);
  return Object.assign(createLabApi(transport), { close: () => transport.close() });
}
