import { expect, test } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

test('attribution methods draw edges between the top neurons of consecutive layers; patching says why it has none', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  const lines = page.locator('[data-testid=path-graph] g.edges line');
  for (const method of ['gxa', 'ablate']) {
    await page.getByTestId('method').selectOption(method);
    await page.getByTestId('run-path').click();
    await expect(page.getByTestId('edges-note')).toContainText('grad × act of each of the top 5 neurons', { timeout: 120_000 });
    // polyglot: 4 layers, 5 × 5 edges between each two consecutive layers when the graph shows at least 5 per layer.
    await expect(lines).toHaveCount(3 * 25);
    const titles = await lines.evaluateAll((ls) => ls.map((l) => l.querySelector('title')?.textContent ?? ''));
    for (const t of titles) expect(t).toMatch(/^L(\d+)\.N\d+@\d+ → L\d+\.N\d+@\d+: grad×act -?\d+\.\d{4}$/);
    // Every edge joins layer l to layer l + 1, between nodes that are drawn.
    const ids = new Set(await page.locator('[data-testid=path-graph] g.node').evaluateAll((ns) => ns.map((n) => n.getAttribute('data-node-id'))));
    for (const t of titles) {
      const [, a, b] = /^(\S+) → (\S+?):/.exec(t)!;
      expect(ids.has(a) && ids.has(b)).toBe(true);
      expect(Number(/^L(\d+)/.exec(b)![1])).toBe(Number(/^L(\d+)/.exec(a)![1]) + 1);
    }
  }
  await page.getByTestId('method').selectOption('patch_exact');
  await page.getByTestId('corrupted-input').fill('The Hund ist ');
  await page.getByTestId('prompt-input').fill('Der Hund ist ');
  await page.getByTestId('run-path').click();
  await expect(page.getByTestId('edges-note')).toContainText('Patching draws no edges', { timeout: 120_000 });
  await expect(lines).toHaveCount(0);
  expect(errors).toEqual([]);
});
