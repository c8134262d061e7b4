/**
 * The app:// protocol's response headers (src/main/app/app-headers.ts): the type from the file name and never
 * sniffed, and on pages the window's policy, which connects to nothing but app://lab (the window's LabApi is IPC).
 */
import { describe, expect, it } from 'vitest';
import { appResponseHeaders } from '../../../src/main/app/app-headers';
import { CONTENT_SECURITY_POLICY, WINDOW_CONTENT_SECURITY_POLICY } from '../../../src/shared/csp';

const directive = (policy: string, name: string) => policy.split('; ').find((d) => d.startsWith(`${name} `));

describe('app:// response headers', () => {
  it('say nosniff on every file, and the type by its name', () => {
    for (const [file, type] of [['/r/index.html', /text\/html/], ['/r/assets/a.js', /javascript/], ['/r/assets/b.wasm', /application\/wasm/], ['/r/assets/c.css', /text\/css/], ['/r/x.bin', /./]] as const) {
      const h = appResponseHeaders(file);
      expect(h['X-Content-Type-Options']).toBe('nosniff');
      expect(h['Content-Type']).toMatch(type);
    }
  });

  it('give pages the window policy, whose connect-src is the app itself', () => {
    expect(appResponseHeaders('/r/index.html')['Content-Security-Policy']).toBe(WINDOW_CONTENT_SECURITY_POLICY);
    expect(appResponseHeaders('/r/assets/a.js')['Content-Security-Policy']).toBeUndefined();
    expect(directive(WINDOW_CONTENT_SECURITY_POLICY, 'connect-src')).toBe("connect-src 'self'");
    // the rest of the policy is the page's own, unchanged
    expect(WINDOW_CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('connect-src')))
      .toEqual(CONTENT_SECURITY_POLICY.split('; ').filter((d) => !d.startsWith('connect-src')));
  });
});
