import { expect, test } from '@playwright/test';
import { waitReady } from './helpers';

/** The engine dies in the three ways the page must notice; it says so within 1 s and answers again within 10 s. */
for (const [fault, backend] of [
  ['close', 'wasm'],
  ['abort', 'wasm'],
  ['device', 'webgpu'],
] as const) {
  test(`the engine recovers from ${fault === 'close' ? 'its worker closing' : fault === 'abort' ? 'a wasm abort' : 'a destroyed WebGPU device'} with the same prompt and edits`, async ({ page }) => {
    await page.goto(`/?backend=${backend}&model=gpt2-tiny`);
    await waitReady(page);
    await page.getByTestId('prompt-input').fill('The cat sat');
    await page.evaluate(() => (globalThis as any).__pathlight.addEdit({ hook: 'blocks.1.mlp.hook_post', index: 7, op: 'zero', positions: null }, 'zero L1.N7'));
    await expect(page.getByTestId('prediction-list-edited').locator('li')).toHaveCount(10);
    const before = await page.getByTestId('prediction-list').locator('li').evaluateAll((els) => els.map((e) => e.dataset.tokenId));
    const t0 = Date.now();
    // Not awaited: a dead engine may never answer this request.
    await page.evaluate((kind) => void (globalThis as any).__pathlight.engine.debugFault(kind).catch(() => {}), fault);
    await expect(page.getByTestId('notice').filter({ hasText: 'The engine stopped' })).toBeVisible({ timeout: 1000 });
    expect(Date.now() - t0).toBeLessThan(1500);
    await expect(page.getByTestId('notice').filter({ hasText: 'The engine is running again' })).toBeVisible({ timeout: 10_000 });
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
    await expect(page.getByTestId('prompt-input')).toHaveValue('The cat sat');
    await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
    await expect(page.getByTestId('prediction-list-edited').locator('li')).toHaveCount(10);
    const after = await page.getByTestId('prediction-list').locator('li').evaluateAll((els) => els.map((e) => e.dataset.tokenId));
    expect(after).toEqual(before);
    expect(Date.now() - t0).toBeLessThan(11_000);
  });
}
