import { expect, test, type Page } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

const requests = (page: Page) => page.evaluate(() => (globalThis as unknown as { __pathlight: { generationRequests(): number } }).__pathlight.generationRequests());
const cleanText = (page: Page) => page.getByTestId('generation-clean').innerText();

test('the continuation is debounced while typing, and can be paused: paused stays paused across edits and prompt changes until resumed', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  const input = page.getByTestId('prompt-input');
  await input.fill('The dog ');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('generation-clean')).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('generation-progress')).toHaveCount(0, { timeout: 120_000 });

  // Typing 11 characters, one every 30 ms (in the page, as input events), starts one continuation once the typing
  // stops, not one per keystroke; a second only where the machine stalled a keystroke past the debounce (counted).
  const before = await requests(page);
  const gaps = await page.evaluate(async () => {
    const el = document.querySelector('[data-testid=prompt-input]') as HTMLTextAreaElement;
    const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
    const times: number[] = [];
    for (const ch of 'runs in the') {
      setValue.call(el, el.value + ch);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      times.push(performance.now());
      await new Promise((r) => setTimeout(r, 30));
    }
    return times.slice(1).filter((t, i) => t - times[i] > 250).length;
  });
  await expect(page.getByTestId('token-chips')).toContainText('r');
  await expect.poll(() => requests(page), { timeout: 30_000 }).toBeGreaterThan(before);
  await expect(page.getByTestId('generation-progress')).toHaveCount(0, { timeout: 120_000 });
  const typed = (await requests(page)) - before;
  expect(typed).toBeGreaterThanOrEqual(1);
  expect(typed).toBeLessThanOrEqual(1 + gaps);

  // A long continuation is stopped in flight by pause.
  await page.getByTestId('generation-max-tokens').fill('256');
  await expect(page.getByTestId('generation-progress')).toBeVisible({ timeout: 30_000 });
  await page.getByTestId('generation-pause').click();
  await expect(page.getByTestId('generation-pause')).toHaveText('resume');
  await expect(page.getByTestId('generation-paused')).toBeVisible();
  await expect(page.getByTestId('generation-progress')).toHaveCount(0);
  const shown = await cleanText(page);
  const paused = await requests(page);

  // An edit while paused: the predictions follow it, the continuation does not.
  await page.evaluate(() =>
    (globalThis as unknown as { __pathlight: { addEdit(e: unknown, l: string): void } }).__pathlight.addEdit({ hook: 'blocks.3.hook_resid_pre', index: null, op: 'scale', value: -1, positions: null }, 'flip the residual'),
  );
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible({ timeout: 30_000 });
  // Another prompt while paused: the tokens and predictions follow it, the continuation still does not.
  await input.fill('Der Hund ');
  await expect(page.getByTestId('token-chips')).toContainText('H');
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible({ timeout: 30_000 });
  await page.waitForTimeout(1500);
  expect(await requests(page)).toBe(paused);
  expect(await cleanText(page)).toBe(shown);
  await expect(page.getByTestId('generation-edited')).toHaveCount(0);
  await expect(page.getByTestId('generation-paused')).toContainText('earlier prompt');

  // Resume: one continuation for the current prompt (256 tokens) with the edit.
  await page.getByTestId('generation-max-tokens').fill('30');
  await page.waitForTimeout(400);
  expect(await requests(page)).toBe(paused);
  await page.getByTestId('generation-pause').click();
  await expect(page.getByTestId('generation-pause')).toHaveText('pause');
  await expect(page.getByTestId('generation-paused')).toHaveCount(0);
  await expect(page.getByTestId('generation-edited')).toBeVisible({ timeout: 120_000 });
  expect(await cleanText(page)).not.toBe(shown);
  // The clean continuation is the model's greedy one for the new prompt (the engine's own generate).
  const expected = await page.evaluate(async () => {
    const pl = (globalThis as unknown as { __pathlight: { engine: { tokenize(t: string): Promise<{ ids: number[] }>; generate(k: null, r: unknown): Promise<{ cleanTokens: string[] }> } } }).__pathlight;
    const ids = (await pl.engine.tokenize('Der Hund ')).ids;
    return (await pl.engine.generate(null, { ids, edits: [], maxTokens: 30, sampling: null })).cleanTokens.join('').replace(/\n/g, '⏎');
  });
  expect((await cleanText(page)).replace(/^clean:\s*/, '')).toBe(expected);
  expect(errors).toEqual([]);
});
