/**
 * Secure defaults for every web contents (cawa-93/vite-electron-builder's security module): no new windows,
 * no navigation away from the lab's own pages, no <webview>, no permission prompts (the lab needs none), and
 * the same CSP as the built page on Vite's dev server.
 */
import { app, session } from 'electron';
import { DEV_CONTENT_SECURITY_POLICY } from '../../shared/csp';
import { isAppSchemeUrl } from './protocol';

/** True for the lab's own pages: app://lab/… or, under `electron-vite dev`, the dev server. */
export function isAppUrl(url: string, devServerUrl?: string): boolean {
  if (isAppSchemeUrl(url)) return true;
  try {
    return devServerUrl !== undefined && new URL(url).origin === new URL(devServerUrl).origin;
  } catch {
    return false;
  }
}

export function applySecurityPolicy(devServerUrl?: string): void {
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);

  if (devServerUrl) {
    // the built page carries its CSP itself (meta + app:// header); the dev server's pages get it here
    session.defaultSession.webRequest.onHeadersReceived({ urls: [`${new URL(devServerUrl).origin}/*`] }, (details, callback) => {
      callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [DEV_CONTENT_SECURITY_POLICY] } });
    });
  }

  app.on('web-contents-created', (_event, contents) => {
    contents.setWindowOpenHandler(() => ({ action: 'deny' }));
    const stayInApp = (event: { preventDefault(): void }, url: string) => {
      if (!isAppUrl(url, devServerUrl)) event.preventDefault();
    };
    contents.on('will-navigate', stayInApp);
    contents.on('will-redirect', stayInApp);
    contents.on('will-attach-webview', (event) => event.preventDefault());
  });
}
