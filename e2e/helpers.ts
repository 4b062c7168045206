import { expect, type Page } from '@playwright/test';

/** Collects console errors and uncaught exceptions; tests assert the list is empty. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  // The engine worker's own console (deduplicated in case the page event reports it too).
  page.on('worker', (w) =>
    w.on('console', (m) => {
      const text = `[worker] ${m.text()}`;
      if (m.type() === 'error' && !errors.includes(m.text())) errors.push(text);
    }),
  );
  return errors;
}

/** Waits until the page leaves `loading`; fails at once, with the message shown, when it lands on `error`. */
export async function waitReady(page: Page): Promise<void> {
  const body = page.locator('body');
  await expect(body).toHaveAttribute('data-state', /ready|error/, { timeout: 150_000 });
  if ((await body.getAttribute('data-state')) !== 'ready') {
    const shown = await page.getByTestId('error').allInnerTexts();
    throw new Error(`the page reached data-state=error: ${shown.join(' | ') || '(no message shown)'}`);
  }
}
