/**
 * The `test` every spec imports: Playwright's, with one automatic check — a test fails when any page of the
 * browser logged a console error (CSP violations among them) or threw while it ran. Pages a spec opens itself
 * (`browser.newPage()` in a `beforeAll`) are watched too. A test that provokes an error on purpose names it with
 * `test.use({ expectedConsoleErrors: [/…/] })`.
 */
import { expect, test as base, type Browser, type BrowserContext, type Page } from '@playwright/test';

interface Watcher {
  problems: string[];
  watched: WeakSet<Page>;
}

function watchPage(watcher: Watcher, page: Page): void {
  if (watcher.watched.has(page)) return;
  watcher.watched.add(page);
  page.on('console', (msg) => {
    if (msg.type() === 'error') watcher.problems.push(`console: ${msg.text()} (${page.url().replace(/token=[0-9a-f]+/, 'token=…')})`);
  });
  page.on('pageerror', (err) => watcher.problems.push(`page error: ${err.message}`));
}

function watchContext(watcher: Watcher, context: BrowserContext): void {
  for (const page of context.pages()) watchPage(watcher, page);
  context.on('page', (page) => watchPage(watcher, page));
}

/** Every context and page the worker's browser makes from now on is watched. */
function watchBrowser(watcher: Watcher, browser: Browser): void {
  const newContext = browser.newContext.bind(browser);
  const newPage = browser.newPage.bind(browser);
  browser.newContext = async (...args: Parameters<Browser['newContext']>) => {
    const context = await newContext(...args);
    watchContext(watcher, context);
    return context;
  };
  browser.newPage = async (...args: Parameters<Browser['newPage']>) => {
    const page = await newPage(...args);
    watchContext(watcher, page.context());
    watchPage(watcher, page);
    return page;
  };
}

export const test = base.extend<{ expectedConsoleErrors: RegExp[]; cleanConsole: void }, { consoleWatcher: Watcher }>({
  consoleWatcher: [
    async ({ browser }, use) => {
      const watcher: Watcher = { problems: [], watched: new WeakSet() };
      watchBrowser(watcher, browser);
      await use(watcher);
    },
    { scope: 'worker' },
  ],
  expectedConsoleErrors: [[], { option: true }],
  cleanConsole: [
    async ({ consoleWatcher, context, expectedConsoleErrors }, use, testInfo) => {
      watchContext(consoleWatcher, context);
      const from = consoleWatcher.problems.length;
      await use();
      const unexpected = consoleWatcher.problems.slice(from).filter((p) => !expectedConsoleErrors.some((re) => re.test(p)));
      consoleWatcher.problems.length = from;
      // a test that already failed keeps its own error; this one would only hide it
      if (testInfo.status === 'passed') expect(unexpected, 'console errors and page errors during the test').toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
export type { Browser, Locator, Page } from '@playwright/test';
