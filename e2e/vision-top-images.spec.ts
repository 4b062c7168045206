import { expect, test, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

const MODEL = join(process.cwd(), 'public/models/digits-vit');
const index = JSON.parse(readFileSync(join(MODEL, 'examples/index.json'), 'utf8')) as { images: Array<{ id: string; file: string; label: number }> };

/** Each example's max over tokens of the neuron, its token and its [CLS] value, from the engine in Node. */
function nodeMaxima(layer: number, neuron: number): Array<{ id: string; value: number; token: number; cls: number }> {
  const r = spawnSync('npx', ['tsx', 'e2e/top-images-node.ts', String(layer), String(neuron)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`top-images-node failed: ${r.stderr}`);
  return JSON.parse(r.stdout);
}

/** The thumbnails of a row as the card shows them. */
const thumbs = (page: Page, row: 'top-images' | 'bottom-images') =>
  page
    .getByTestId(row)
    .locator('button')
    .evaluateAll((els) => els.map((e) => ({ id: e.getAttribute('data-testid')!.replace(/^top-image-/, ''), value: Number(e.dataset.value), token: Number(e.dataset.token), marked: !!e.querySelector('.top-image-patch'), text: e.textContent ?? '' })));

async function openPathNode(page: Page): Promise<{ nodeId: string; layer: number; neuron: number }> {
  await page.getByTestId('run-path').click();
  const pathNodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  await expect(pathNodes.first()).toBeVisible({ timeout: 120_000 });
  const nodeId = (await pathNodes.last().getAttribute('data-node-id'))!;
  const [, layer, neuron] = /^L(\d+)\.N(\d+)/.exec(nodeId)!.map(Number);
  await pathNodes.last().click();
  await expect(page.getByTestId('neuron-card')).toBeVisible();
  return { nodeId, layer, neuron };
}

test('digits-vit: a path neuron’s card shows its 8 top-activating examples as Node ranks them; a click opens one, the card kept', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=digits-vit');
  await waitReady(page);
  await expect(page.getByTestId('image-panel')).toContainText(`example ${index.images[0].id}`);
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10, { timeout: 60_000 });
  const { nodeId, layer, neuron } = await openPathNode(page);

  await expect(page.getByTestId('top-images').locator('button')).toHaveCount(8, { timeout: 60_000 });
  const top = await thumbs(page, 'top-images');
  for (let i = 1; i < top.length; i++) expect(top[i].value).toBeLessThanOrEqual(top[i - 1].value);
  // The ranking and values of the engine in Node, each image run alone.
  const want = nodeMaxima(layer, neuron);
  const desc = [...want].sort((a, b) => b.value - a.value).slice(0, 8);
  expect(top.map((t) => t.id)).toEqual(desc.map((w) => w.id));
  top.forEach((t, i) => {
    expect(Math.abs(t.value - desc[i].value)).toBeLessThan(1e-4);
    expect(t.token).toBe(desc[i].token);
    // The patch of the max is outlined (none when it sits at [CLS]); the caption holds the label and the value.
    expect(t.marked).toBe(t.token > 0);
    const ex = index.images.find((e) => e.id === t.id)!;
    expect(t.text).toContain(`${ex.label} ${t.value.toFixed(2)}`);
  });
  const bottom = await thumbs(page, 'bottom-images');
  expect(bottom.map((b) => b.id)).toEqual([...want].sort((a, b) => a.value - b.value).slice(0, 8).map((w) => w.id));
  // The example PNGs are shown from the examples folder.
  await expect.poll(() => page.getByTestId('top-images').locator('img').evaluateAll((els) => els.every((e) => (e as HTMLImageElement).naturalWidth === 28))).toBe(true);
  await page.screenshot({ path: test.info().outputPath('1-top-images.png'), fullPage: true });

  // A click opens that example as the current image; the neuron's card stays open on it.
  const pick = top.find((t) => t.id !== index.images[0].id)!;
  await page.getByTestId(`top-image-${pick.id}`).click();
  await expect(page.getByTestId('image-panel')).toContainText(`example ${pick.id}`);
  await expect(page.getByTestId('neuron-card').locator('h2')).toContainText(nodeId);
  await expect(page.getByTestId('patch-overlay')).toHaveAttribute('data-heat', 'on', { timeout: 60_000 });
  await expect(page.getByTestId(`top-image-${pick.id}`)).toHaveClass(/active/);
  // Its overlay's largest value is the thumbnail's value (the max over the patches, or at [CLS]).
  await expect(page.getByTestId('vision-card')).toContainText(pick.token === 0 ? `[CLS] ${pick.value.toFixed(3)}` : `… ${pick.value.toFixed(3)}`);
  expect(errors).toEqual([]);
});

test('digits-vit from local files: no bundled examples, and the card says so', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=digits-vit');
  await waitReady(page);
  await page.getByTestId('file-input').setInputFiles([join(MODEL, 'config.json'), join(MODEL, 'model.safetensors')]);
  await expect(page.getByTestId('image-examples')).toHaveCount(0, { timeout: 60_000 });
  await waitReady(page);
  await page.getByTestId('image-file').setInputFiles(join(MODEL, 'examples', index.images[0].file));
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10, { timeout: 60_000 });
  await openPathNode(page);
  await expect(page.getByTestId('top-images-none')).toContainText('was not opened from a folder with examples/', { timeout: 60_000 });
  await expect(page.getByTestId('top-images')).toHaveCount(0);
  expect(errors).toEqual([]);
});
