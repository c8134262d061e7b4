/**
 * The renderer's one way to the lab: `window.lab` from the Electron preload when present, else the browser
 * bridge's WebSocket (`nca-lab serve`) with the token from this page's address.
 */
import { BRIDGE_SOCKET_PATH, BRIDGE_TOKEN_PARAM } from '@shared/bridge-protocol';
import type { LabApi } from '@shared/lab-api';
import { createWebSocketLab } from '@shared/lab-ws-client';

export type LabTransportKind = 'electron' | 'browser';

function connect(): { api: LabApi; kind: LabTransportKind } {
  if (window.lab) return { api: window.lab, kind: 'electron' };
  const token = new URLSearchParams(location.search).get(BRIDGE_TOKEN_PARAM) ?? '';
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const url = `${scheme}//${location.host}${BRIDGE_SOCKET_PATH}?${BRIDGE_TOKEN_PARAM}=${encodeURIComponent(token)}`;
  const api = createWebSocketLab({ url, createSocket: (u) => new WebSocket(u) });
  return { api, kind: 'browser' };
}

const connection = connect();

export const lab: LabApi = connection.api;
export const labTransport: LabTransportKind = connection.kind;
