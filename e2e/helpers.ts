import { expect, type Page } from '@playwright/test';

/** Collects console errors and uncaught exceptions; tests assert the list is empty. */
export function watchConsole(page: Page): string[] {
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  return errors;
}

export async function waitReady(page: Page): Promise<void> {
  await expect(page.locator('body')).toHaveAttribute('data-state', /ready|error/, { timeout: 150_000 });
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready');
}
