import { expect, test } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

test('a link made while the attribution graph is shown reopens that graph (same nodes, same thresholds); changing the prompt takes it out of the link', async ({ page, context }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=induction');
  await waitReady(page);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('tab-circuit').click();
  await page.getByTestId('circuit-node-threshold').fill('0.7');
  await page.getByTestId('run-circuit').click();
  const nodes = (p: typeof page) => p.locator('[data-testid=position-graph] [data-node-id]');
  await expect(nodes(page).first()).toBeVisible({ timeout: 60_000 });
  const ids = async (p: typeof page) => (await nodes(p).evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')!))).sort();
  const shown = await ids(page);
  const edgeCount = await page.evaluate(() => (globalThis as any).__pathlight.state().circuitGraph.edges.length);
  // The graph stays across tabs.
  await page.getByTestId('tab-graph').click();
  await page.getByTestId('tab-circuit').click();
  // Drawn once the container's width is known (a ResizeObserver's first report, before the next paint).
  await expect.poll(() => ids(page)).toEqual(shown);
  const link = await page.evaluate(() => {
    (document.querySelector('[data-testid=copy-link]') as HTMLButtonElement).click();
    return location.href;
  });
  const other = await context.newPage();
  const otherErrors = watchConsole(other);
  await other.goto(link);
  await waitReady(other);
  await expect(other.getByTestId('circuit-panel')).toBeVisible();
  await expect(nodes(other).first()).toBeVisible({ timeout: 60_000 });
  expect(await ids(other)).toEqual(shown);
  await expect(other.getByTestId('circuit-node-threshold')).toHaveValue('0.7');
  expect(await other.evaluate(() => (globalThis as any).__pathlight.state().circuitGraph.edges.length)).toBe(edgeCount);
  // A new prompt: the graph is gone, and so is it from the link.
  await other.getByTestId('prompt-input').fill('Xq3fK9aZXq3');
  await expect(nodes(other)).toHaveCount(0);
  await expect.poll(() => other.evaluate(() => (globalThis as any).__pathlight.state().circuitGraph)).toBeNull();
  const after = await other.evaluate(() => {
    (document.querySelector('[data-testid=copy-link]') as HTMLButtonElement).click();
    return location.href;
  });
  expect(after).not.toBe(link);
  const third = await context.newPage();
  await third.goto(after);
  await waitReady(third);
  await expect(third.getByTestId('circuit-panel')).toContainText('Build the graph');
  expect(await third.evaluate(() => (globalThis as any).__pathlight.state().circuitBuilding)).toBe(false);
  expect(await third.evaluate(() => (globalThis as any).__pathlight.state().circuitGraph)).toBeNull();
  expect(errors).toEqual([]);
  expect(otherErrors).toEqual([]);
});
