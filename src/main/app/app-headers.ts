/**
 * The headers of every app:// response (protocol.ts), apart from Electron so they can be tested in Node: the
 * content type from the file name, never sniffed from the bytes (a file that looks like HTML or script is not run
 * as such), and the window's Content-Security-Policy on pages.
 */
import { contentTypeOf } from '../../services/bridge/content-types';
import { WINDOW_CONTENT_SECURITY_POLICY } from '../../shared/csp';

export function appResponseHeaders(file: string): Record<string, string> {
  return {
    'Content-Type': contentTypeOf(file),
    'X-Content-Type-Options': 'nosniff',
    ...(file.endsWith('.html') ? { 'Content-Security-Policy': WINDOW_CONTENT_SECURITY_POLICY } : {}),
  };
}
