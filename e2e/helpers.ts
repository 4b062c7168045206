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

/**
 * Waits until the page leaves `loading` (state read once per poll, so a load starting meanwhile is not taken for
 * an error); fails at once, with the message shown, when it lands on `error`. Right after an action that starts a
 * load, first wait for something that only the new model shows: the old `ready` may still be there.
 */
export async function waitReady(page: Page): Promise<void> {
  const body = page.locator('body');
  let state = '';
  await expect
    .poll(async () => (state = (await body.getAttribute('data-state')) ?? ''), { timeout: 150_000, message: 'data-state leaves loading' })
    .toMatch(/^(ready|error)$/);
  if (state === 'error') {
    const error = page.getByTestId('error');
    await error.first().waitFor({ timeout: 5_000 }).catch(() => undefined);
    const shown = await error.allInnerTexts();
    throw new Error(`the page reached data-state=error: ${shown.join(' | ') || '(no message shown)'}`);
  }
}
