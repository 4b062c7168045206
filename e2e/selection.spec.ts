import { expect, test, type Page } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

const state = (page: Page) =>
  page.evaluate(() => {
    const s = (globalThis as unknown as { __pathlight: { state(): { selected: string | null; selection: string[]; edits: Array<{ hook: string; index: number | null; op: string }> } } }).__pathlight.state();
    return { selected: s.selected, selection: s.selection, edits: s.edits.map((e) => `${e.hook}:${e.index}:${e.op}`) };
  });

test('several selected nodes: shift/ctrl-click selects them, the card area lists them, one edit applies to all at once (one undo), the link keeps them', async ({ page, context }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  const list = page.getByTestId('prediction-list');
  await expect(list.locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  const path = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  await expect(path.first()).toBeVisible({ timeout: 120_000 });
  const ids = await path.evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')!));
  const head = page.locator('[data-testid=path-graph] g.node').filter({ has: page.locator('rect.head-shape:not([display=none])') }).first();
  const headId = (await head.getAttribute('data-node-id'))!;

  await path.nth(0).click();
  await expect(page.getByTestId('neuron-card')).toContainText(ids[0]);
  await path.nth(1).click({ modifiers: ['Shift'] });
  await head.click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-panel')).toContainText('3 nodes selected');
  await expect(page.getByTestId('selection-list').locator('li')).toHaveCount(3);
  await expect(page.locator('[data-testid=path-graph] g.node[data-selected=true]')).toHaveCount(3);
  // The card shows the node clicked last.
  await expect(page.getByTestId('neuron-card')).toContainText(headId);
  expect((await state(page)).selection).toEqual([ids[0], ids[1], headId]);

  // Ctrl-click again takes one out; a plain click would select one alone.
  await head.click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-list').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('neuron-card')).toContainText(ids[1]);
  await head.click({ modifiers: ['Control'] });
  await expect(page.getByTestId('selection-list').locator('li')).toHaveCount(3);

  // One button: a zero edit on each selected node, at its position, as one action.
  await page.getByTestId('selection-zero').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(3);
  const unit = (id: string) => {
    const m = /^L(\d+)\.([NH])(\d+)@/.exec(id)!;
    return `blocks.${m[1]}.${m[2] === 'N' ? 'mlp.hook_post' : 'attn.hook_z'}:${m[3]}:zero`;
  };
  expect((await state(page)).edits).toEqual([unit(ids[0]), unit(ids[1]), unit(headId)]);
  await expect(page.locator('[data-testid=path-graph] g.node[data-edited=true]')).toHaveCount(3);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible({ timeout: 30_000 });
  // The edited predictions are those of the three zero edits together (the engine's own run).
  const expected = await page.evaluate(async () => {
    const pl = (globalThis as unknown as { __pathlight: { state(): { tokens: { ids: number[] }; edits: unknown[] }; predict(ids: number[], edits: unknown[]): Promise<{ top: Array<{ id: number; prob: number }> }> } }).__pathlight;
    const s = pl.state();
    const edits = (s.edits as Array<Record<string, unknown>>).map(({ id: _i, enabled: _e, label: _l, ...e }) => e);
    return (await pl.predict(s.tokens.ids, edits)).top[0];
  });
  await expect.poll(async () => Number(await page.getByTestId('prediction-list-edited').locator(`li[data-token-id="${expected.id}"]`).getAttribute('data-prob'))).toBeCloseTo(expected.prob, 6);

  await page.locator('body').press('Control+z');
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(0);
  await page.locator('body').press('Control+Shift+z');
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(3);

  // The link keeps every selected node, the card's first.
  await page.waitForTimeout(700);
  const url = page.url();
  const again = await context.newPage();
  const errors2 = watchConsole(again);
  await again.goto(url);
  await waitReady(again);
  await expect(again.getByTestId('selection-list').locator('li')).toHaveCount(3, { timeout: 120_000 });
  const restored = await state(again);
  expect(restored.selected).toBe(headId);
  expect(new Set(restored.selection)).toEqual(new Set([ids[0], ids[1], headId]));
  await expect(again.locator('[data-testid=path-graph] g.node[data-selected=true]')).toHaveCount(3, { timeout: 120_000 });
  expect(errors).toEqual([]);
  expect(errors2).toEqual([]);
});
