import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

const EXAMPLES = join(process.cwd(), 'public/models/digits-vit/examples');
const index = JSON.parse(readFileSync(join(EXAMPLES, 'index.json'), 'utf8')) as { images: Array<{ id: string; file: string; label: number }> };
const PER_CLASS = 2;
const STEPS = 4;

/** The same analysis in Node (the engine outside the page) on the same example files: each image's NeuronPath. */
function nodePaths(): Record<string, string[]> {
  const r = spawnSync('npx', ['tsx', 'e2e/class-paths-node.ts', String(PER_CLASS), String(STEPS)], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`class-paths-node failed: ${r.stderr}`);
  return JSON.parse(r.stdout) as Record<string, string[]>;
}

test('digits-vit classes: the class × neuron matrix of the examples’ paths, the overlap of every method, a cell selects its neuron', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=digits-vit');
  await waitReady(page);
  const panel = page.getByTestId('class-paths-panel');
  await expect(panel).toBeVisible();
  // The bundled examples hold 3 of each digit: that is the default.
  await expect(page.getByTestId('class-per-class')).toHaveValue('3');
  await page.getByTestId('class-per-class').fill(String(PER_CLASS));
  await page.getByTestId('class-steps').fill(String(STEPS));
  await page.getByTestId('class-run').click();
  await expect(page.getByTestId('class-run')).toBeDisabled();
  const matrix = page.getByTestId('class-matrix');
  await expect(matrix.locator('rect.cell').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('class-run')).toBeEnabled();
  await expect(page.getByTestId('class-progress')).toHaveCount(0);

  // Rows: the 10 digits by label, each with its 2 images; columns grouped by layer.
  const rowLabels = await matrix.locator('text.row').allTextContents();
  expect(rowLabels).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'].map((l) => `${l} (${PER_CLASS})`));
  const cols = await matrix.locator('text.col').allTextContents();
  const parsed = cols.map((c) => /^L(\d+)\.N(\d+)$/.exec(c)!.slice(1).map(Number));
  for (let i = 1; i < parsed.length; i++) expect(parsed[i][0] * 1000 + parsed[i][1]).toBeGreaterThan(parsed[i - 1][0] * 1000 + parsed[i - 1][1]);
  expect(await matrix.locator('text.layer-label').allTextContents()).toHaveLength(4);
  const cells = await matrix.locator('rect.cell').evaluateAll((els) => els.map((e) => ({ node: e.getAttribute('data-node')!, cls: Number(e.getAttribute('data-class')), count: Number(e.getAttribute('data-count')), title: e.querySelector('title')?.textContent ?? '' })));
  expect(cells).toHaveLength(10 * cols.length);
  // One neuron per layer per path: each class's counts sum to 4 layers × its 2 images.
  for (let c = 0; c < 10; c++) expect(cells.filter((x) => x.cls === c).reduce((a, x) => a + x.count, 0)).toBe(4 * PER_CLASS);
  // The counts are those of each image's NeuronPath as the engine finds it in Node on the same files.
  const paths = nodePaths();
  const labelOf = new Map(index.images.map((e) => [e.id, e.label]));
  for (const x of cells) expect(x.count, `${x.cls} ${x.node}`).toBe(Object.entries(paths).filter(([id, p]) => labelOf.get(id) === x.cls && p.includes(x.node)).length);
  const hit = cells.find((x) => x.count > 0)!;
  expect(hit.title).toMatch(new RegExp(`^class ${hit.cls} × ${hit.node}: on ${hit.count} of ${PER_CLASS} paths \\(\\d+%\\)$`));

  // The overlap of every method, within and between classes, with its interval and p.
  const overlap = page.getByTestId('class-overlap');
  for (const m of ['neuronpath', 'activation', 'layer_ig', 'gxa']) await expect(overlap.getByTestId(`class-overlap-${m}`)).toHaveCount(1);
  await expect(overlap.getByTestId('class-overlap-neuronpath')).toContainText(/NeuronPath\s*\d\.\d{3}\s*\d\.\d{3}\s*-?\d\.\d{3} \[-?\d\.\d{3}, -?\d\.\d{3}\]/);
  await expect(page.getByTestId('class-summary')).toContainText(`${10 * PER_CLASS} images`);
  await page.screenshot({ path: test.info().outputPath('1-matrix.png'), fullPage: true });

  // A cell selects its neuron as a click on the path graph does: the card, the patch overlay, the edit buttons.
  await matrix.locator(`rect.cell[data-node="${hit.node}"][data-class="${hit.cls}"]`).click();
  const card = page.getByTestId('neuron-card');
  await expect(card).toBeVisible();
  await expect(card.locator('h2')).toContainText(hit.node);
  await expect(page.getByTestId('patch-overlay')).toHaveAttribute('data-heat', 'on', { timeout: 60_000 });
  await expect(page.getByTestId('ablate-zero')).toBeVisible();
  await expect(matrix.locator('rect.selected-column')).toHaveCount(1);
  await page.getByTestId('ablate-zero').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('edits-list')).toContainText(hit.node);
  await page.screenshot({ path: test.info().outputPath('2-card.png'), fullPage: true });

  // Another method's matrix: the selector and the row of the overlap table.
  await page.getByTestId('class-method').selectOption('activation');
  await expect(matrix.locator('svg')).toHaveAttribute('data-method', 'activation');
  await expect(overlap.getByTestId('class-overlap-activation')).toHaveClass(/selected/);

  // Cancel: a longer run (every example, 20 steps) stops and says so.
  await page.getByTestId('class-per-class').fill('3');
  await page.getByTestId('class-steps').fill('20');
  await page.getByTestId('class-run').click();
  await page.getByTestId('class-cancel').click();
  await expect(page.getByTestId('class-error')).toHaveText('Cancelled.');
  await expect(page.getByTestId('class-run')).toBeEnabled();
  // The matrix on screen stays the one that finished.
  await expect(matrix.locator('svg')).toHaveAttribute('data-method', 'activation');
  await expect(matrix.locator('rect.cell').first()).toBeVisible();
  expect(errors).toEqual([]);
});
