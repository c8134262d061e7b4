/** The suite's console check itself: a page that logs an error or throws fails the test that was running. */
import { test } from './fixtures';

test.describe('the console check', () => {
  test('a console error fails the test', async ({ page }) => {
    test.fail();
    await page.goto('about:blank');
    await page.evaluate(() => console.error('an error the check must catch'));
  });

  test('an uncaught exception in a page the spec opened itself fails the test', async ({ browser }) => {
    test.fail();
    const page = await browser.newPage();
    await page.goto('about:blank');
    const thrown = page.waitForEvent('pageerror');
    await page.evaluate(() => setTimeout(() => { throw new Error('thrown in the page'); }, 0));
    await thrown;
    await page.close();
  });

  test.describe('an error the test expects', () => {
    test.use({ expectedConsoleErrors: [/expected on purpose/] });
    test('is allowed by name', async ({ page }) => {
      await page.goto('about:blank');
      await page.evaluate(() => console.error('expected on purpose'));
    });
  });
});
