import { expect, test } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

test('a request too large for the backend is refused before it runs, with its figures, and the page carries on', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Der Hund');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  const count = () => page.evaluate(() => (globalThis as any).__pathlight.engine.tensorCount());
  // The page's own work (predictions, the continuation) done first: its tensors are not the request's.
  await expect(page.getByTestId('generation-clean')).toBeVisible({ timeout: 60_000 });
  // The continuation of this prompt finished (the one shown may be the previous prompt's, with this one in flight).
  await expect.poll(() => page.evaluate(() => (globalThis as any).__pathlight.generationRequests()), { timeout: 30_000 }).toBeGreaterThan(0);
  await expect(page.getByTestId('generation-progress')).toHaveCount(0, { timeout: 60_000 });
  await page.waitForTimeout(600);
  await expect(page.getByTestId('generation-progress')).toHaveCount(0, { timeout: 60_000 });
  const settle = () => new Promise((r) => setTimeout(r, 300));
  await expect.poll(async () => [await count(), (await settle(), await count()), (await settle(), await count())].join(), { timeout: 30_000 }).toMatch(/^(\d+),\1,\1$/);
  const before = await count();
  // 200 full-context sequences at once: activations and attention of about 7 GB, past any tab's backend.
  const out = await page.evaluate(async () => {
    const pl = (globalThis as any).__pathlight;
    const backend = await pl.engine.backend();
    const inputIds = Array.from({ length: 200 }, (_, b) => Array.from({ length: 128 }, (_, i) => (i * 7 + b) % 110));
    const t0 = performance.now();
    const message = await pl.run({ inputIds }).then(
      () => null,
      (e: Error) => e.message,
    );
    return { message, ms: performance.now() - t0, backend };
  });
  expect(out.message).toMatch(/a forward pass of 200 sequences × 128 tokens was refused before it ran: it needs about [\d.]+ GB \(activations [\d.]+ GB, attention [\d.]+ GB, logits [\d.]+ MB\), over the [\d.]+ GB free on \w+/);
  expect(out.message).toContain(`free on ${out.backend}`);
  // Refused at once, and nothing was allocated.
  expect(out.ms).toBeLessThan(2_000);
  await expect.poll(count, { timeout: 30_000 }).toBe(before);
  // The same engine keeps answering: new predictions and a path on the next prompt.
  await page.getByTestId('prompt-input').fill('Die Katze');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  await expect(page.locator('[data-testid=path-graph] g.node[data-role=path]').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});
