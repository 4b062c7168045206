import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

const MODEL = process.env.E2E_MODEL ?? '';

// The default model, then one bundled fixture of each other architecture.
for (const model of [MODEL, 'gptneo-tiny', 'pythia-tiny', 'llama-tiny']) {
  test(`prompt → path → click a path node → ablate → the predictions change (${model || 'default model'})`, async ({ page }) => {
    const errors = watchConsole(page);
    await page.goto(model ? `/?model=${model}` : '/');
    await waitReady(page);
    if (model) await expect(page.getByTestId('model-info')).toContainText(`${model} (`);
    const list = page.getByTestId('prediction-list');
    await expect(list.locator('li')).toHaveCount(10);
    await page.screenshot({ path: test.info().outputPath('1-ready.png'), fullPage: true });
  
    await page.getByTestId('run-path').click();
    const pathNodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
    await expect(pathNodes.first()).toBeVisible({ timeout: 120_000 });
    const nLayers = await pathNodes.count();
    expect(nLayers).toBeGreaterThanOrEqual(2);
    const ids = await pathNodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')));
    for (const id of ids) expect(id).toMatch(/^L\d+\.N\d+@\d+$/);
    // The step table: one row per layer with the exact removal effect, and the baselines beside it.
    await expect(page.getByTestId('path-step')).toHaveCount(nLayers);
    await expect(page.getByTestId('path-removal').first()).toHaveText(/^-?\d+\.\d{3}$/);
    await expect(page.getByTestId('path-summary')).toContainText('grad × act');
    await expect(page.locator('[data-testid=path-graph] g.node').filter({ has: page.locator('rect.head-shape:not([display=none])') }).first()).toHaveAttribute('data-node-id', /^L\d+\.H\d+@\d+$/);
    await page.screenshot({ path: test.info().outputPath('2-path.png'), fullPage: true });

    // Click the last-layer path node (closest to the output) and ablate it.
    await pathNodes.last().click();
    await expect(page.getByTestId('neuron-card')).toBeVisible();
    await expect(page.getByTestId('neuron-card').locator('.strip').first()).toBeVisible({ timeout: 60_000 });
    await page.screenshot({ path: test.info().outputPath('3-card.png'), fullPage: true });
    await page.getByTestId('ablate-zero').click();
    await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
    await expect(page.getByTestId('prediction-list-edited')).toBeVisible();
    // The edited probability of some top token differs from its clean one (compared by token id, not by text).
    await expect
      .poll(async () =>
        list.locator('li').evaluateAll((els) => els.some((e) => e.dataset.editedProb !== undefined && Math.abs(Number(e.dataset.editedProb) - Number(e.dataset.prob)) > 1e-7)),
      )
      .toBe(true);
    // The continuation, clean beside edited.
    await expect(page.getByTestId('generation-clean')).toBeVisible({ timeout: 120_000 });
    await expect(page.getByTestId('generation-edited')).toBeVisible({ timeout: 120_000 });
    await page.screenshot({ path: test.info().outputPath('4-edited.png'), fullPage: true });

    // Sign flip and undo with the keyboard.
    await page.getByTestId('flip').click();
    await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(2);
    await page.locator('body').press('Control+z');
    await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
    // Redo, then undo a toggle: one history for every action.
    await page.locator('body').press('Control+Shift+z');
    await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(2);
    await page.locator('body').press('Control+z');
    await page.getByTestId('edits-list').locator('li input[type=checkbox]').first().uncheck();
    await expect(page.getByTestId('edits-list').locator('li.off')).toHaveCount(1);
    await page.getByTestId('undo').click();
    await expect(page.getByTestId('edits-list').locator('li.off')).toHaveCount(0);

    // Heatmap and attention views.
    await page.getByTestId('tab-heatmap').click();
    await expect(page.getByTestId('activation-heatmap').locator('canvas')).toBeVisible();
    await page.getByTestId('tab-attention').click();
    await expect(page.getByTestId('attention-pattern').locator('canvas')).toBeVisible();
    // Head types of the layer's heads on this prompt; clicking a row shows that head's pattern.
    const headRows = page.getByTestId('head-scores').locator('tbody tr');
    await expect(headRows.first()).toBeVisible();
    expect(await headRows.count()).toBeGreaterThan(1);
    await headRows.nth(1).click();
    await expect(headRows.nth(1)).toHaveClass(/selected/);
    await expect(page.getByTestId('attention-pattern')).toContainText('head 1');
    await page.screenshot({ path: test.info().outputPath('5-attention.png'), fullPage: true });
    expect(errors).toEqual([]);
  });
}

test('a large screen shows the same workbench', async ({ page }) => {
  await page.setViewportSize({ width: 1920, height: 1080 });
  await page.goto(MODEL ? `/?model=${MODEL}` : '/');
  await waitReady(page);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.screenshot({ path: test.info().outputPath('1920.png'), fullPage: true });
});

test('local files: the shared fixture opens from disk, and a broken file is refused in place', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  const dir = join(import.meta.dirname, '..', 'test', 'fixtures', 'gpt2-tiny');
  // A truncated safetensors file: the message shows, the loaded model stays usable.
  await page.getByTestId('file-input').setInputFiles([
    { name: 'config.json', mimeType: 'application/json', buffer: readFileSync(join(dir, 'config.json')) },
    { name: 'model.safetensors', mimeType: 'application/octet-stream', buffer: Buffer.from([1, 2, 3, 4, 5]) },
  ]);
  await expect(page.getByTestId('notice').or(page.getByTestId('error')).first()).toContainText(/truncated/);
  await expect(page.locator('body')).toHaveAttribute('data-state', 'ready');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  // The real fixture files (no tokenizer.json: prompts are token ids).
  await page.getByTestId('file-input').setInputFiles([join(dir, 'config.json'), join(dir, 'model.safetensors')]);
  await waitReady(page);
  await expect(page.getByTestId('model-info')).toContainText('2 layers, 64 wide');
  await page.getByTestId('prompt-input').fill('3 77 400 12 12 250 9 77 400 31 5 200');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('token-chips')).toContainText('#400');
  expect(errors.filter((e) => !/Failed to load resource/.test(e))).toEqual([]);
});

test('predictions show rank, probability, logit and log-prob; a target outside the top 10 is shown with its rank', async ({ page }) => {
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  const list = page.getByTestId('prediction-list');
  await expect(list.locator('li')).toHaveCount(10);
  await expect(list.locator('li').first()).toContainText('#1');
  await expect(list.locator('li').first().getByTestId('logit')).toHaveText(/^-?\d+\.\d\d$/);
  // The least likely of the top 10 as a reference; then a token ranked far below as the target.
  const ids = await list.locator('li').evaluateAll((els) => els.map((e) => Number(e.dataset.tokenId)));
  const outside = Array.from({ length: 512 }, (_, i) => i).find((i) => !ids.includes(i))!;
  await page.getByTestId('target-input').fill(`#${outside}`);
  await page.getByTestId('target-input').press('Enter');
  const watched = page.getByTestId('prediction-watched');
  await expect(watched.locator('li')).toHaveCount(1);
  await expect(watched.locator('li')).toHaveAttribute('data-token-id', String(outside));
  await expect(watched.locator('li .rank')).toHaveText(/^#(1[1-9]|[2-9]\d|[1-9]\d\d)$/);
});
