import { expect, test } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { decode as decodePng, encode as encodePng } from 'fast-png';
import * as jpegJs from 'jpeg-js';
import { waitReady, watchConsole } from './helpers';
import { decodeSession } from '../src/session/codec';

const jpegEncode = (jpegJs as unknown as { encode?: typeof jpegJs.encode }).encode ?? (jpegJs as unknown as { default: typeof jpegJs }).default.encode;
const EXAMPLES = join(process.cwd(), 'public/models/digits-vit/examples');
const index = JSON.parse(readFileSync(join(EXAMPLES, 'index.json'), 'utf8')) as { images: Array<{ id: string; file: string; label: number; predicted: number }> };

/** The class probabilities of the same image and edit from the CLI (the engine in Node, outside the page). */
function cliProbs(file: string, edit: string | string[] = []): number[] {
  const args = ['tsx', 'src/cli/main.ts', 'run', '--model', 'digits-vit', '--image', file, '--backend', 'cpu', ...[edit].flat().flatMap((e) => ['--edit', e])];
  const r = spawnSync('npx', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`pathlight run failed: ${r.stderr}`);
  const logits = (JSON.parse(r.stdout) as { logits: { data: number[] } }).logits.data;
  const m = Math.max(...logits);
  const e = logits.map((x) => Math.exp(x - m));
  const z = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / z);
}

/** The class list's rows as the page shows them: label, probability and the edited probability. */
async function rows(page: import('@playwright/test').Page) {
  return page
    .getByTestId('prediction-list')
    .locator('li')
    .evaluateAll((els) => els.map((e) => ({ id: Number(e.dataset.tokenId), label: e.querySelector('.tok')?.textContent ?? '', prob: Number(e.dataset.prob), edited: e.dataset.editedProb === undefined ? null : Number(e.dataset.editedProb) })));
}

test('digits-vit: drop an image → classes with labels → path → node card with the patch overlay → ablate → the classes change', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=digits-vit');
  await waitReady(page);
  await expect(page.getByTestId('model-info')).toContainText('digits-vit (');
  await expect(page.getByTestId('image-examples').locator('button')).toHaveCount(index.images.length);
  await expect(page.getByTestId('prompt-input')).toHaveCount(0);

  // A digit the model gets right, given as the user's own file (decoded in the worker).
  const ex = index.images.find((e) => e.label === 7 && e.predicted === 7)!;
  await page.getByTestId('image-file').setInputFiles(join(EXAMPLES, ex.file));
  await expect(page.getByTestId('image-panel')).toContainText(`${ex.file}, 28×28`);
  await expect(page.getByTestId('image-canvas')).toBeVisible();
  await expect.poll(async () => (await rows(page))[0]?.label ?? '', { timeout: 60_000 }).toBe('7');
  const clean = await rows(page);
  expect(clean).toHaveLength(10);
  expect(clean.map((r) => r.label).sort()).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  const total = clean.reduce((a, r) => a + r.prob, 0);
  expect(Math.abs(total - 1)).toBeLessThan(1e-4);
  for (let i = 1; i < clean.length; i++) expect(clean[i].prob).toBeLessThanOrEqual(clean[i - 1].prob);
  const cli = cliProbs(join(EXAMPLES, ex.file));
  for (const r of clean) expect(Math.abs(r.prob - cli[r.id])).toBeLessThan(1e-4);
  await page.screenshot({ path: test.info().outputPath('1-image.png'), fullPage: true });

  await page.getByTestId('run-path').click();
  const pathNodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  await expect(pathNodes.first()).toBeVisible({ timeout: 120_000 });
  expect(await pathNodes.count()).toBeGreaterThanOrEqual(2);
  const nodeId = (await pathNodes.last().getAttribute('data-node-id'))!;
  const [, layer, neuron] = /^L(\d+)\.N(\d+)/.exec(nodeId)!;
  await pathNodes.last().click();
  await expect(page.getByTestId('neuron-card')).toBeVisible();
  await expect(page.getByTestId('patch-overlay')).toBeVisible({ timeout: 60_000 });
  await expect(page.getByTestId('patch-overlay')).toHaveAttribute('data-heat', 'on');
  await page.screenshot({ path: test.info().outputPath('2-card.png'), fullPage: true });

  // Ablate the neuron at every token: the class probabilities change.
  await page.getByTestId('edit-at').selectOption('all');
  await page.getByTestId('ablate-zero').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible();
  await expect.poll(async () => (await rows(page)).some((r) => r.edited !== null && Math.abs(r.edited - r.prob) > 1e-6)).toBe(true);
  // The edited probabilities are the CLI's with the same neuron zeroed at every token.
  const cliEdited = cliProbs(join(EXAMPLES, ex.file), `blocks.${layer}.mlp.hook_post:${neuron}:zero`);
  for (const r of await rows(page)) expect(Math.abs(r.edited! - cliEdited[r.id])).toBeLessThan(1e-4);
  await page.screenshot({ path: test.info().outputPath('3-edited.png'), fullPage: true });

  // An edit at one patch clicked on the image (row 2, column 2 of the 4×4 grid: patch 10, token 11).
  const canvas = page.getByTestId('image-canvas');
  const box = (await canvas.boundingBox())!;
  await canvas.click({ position: { x: box.width * 0.6, y: box.height * 0.6 } });
  await expect(page.getByTestId('edit-at')).toHaveValue('patch');
  await expect(page.getByTestId('edit-at')).toContainText('patch p10');
  await page.getByTestId('flip').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(2);
  await expect(page.getByTestId('edits-list')).toContainText('@p10');
  const cliBoth = cliProbs(join(EXAMPLES, ex.file), [`blocks.${layer}.mlp.hook_post:${neuron}:zero`, `blocks.${layer}.mlp.hook_post:${neuron}:scale=-1@11`]);
  await expect.poll(async () => (await rows(page)).every((r) => Math.abs(r.edited! - cliBoth[r.id]) < 1e-4)).toBe(true);

  // A head of the graph: [CLS]'s attention over the patches for each head of its layer.
  await page.locator('[data-testid=path-graph] g.node').filter({ has: page.locator('rect.head-shape:not([display=none])') }).first().click();
  await expect(page.getByTestId('vision-heads')).toBeVisible();
  await expect(page.getByTestId('vision-heads').locator('canvas')).toHaveCount(4);
  await page.screenshot({ path: test.info().outputPath('4-heads.png'), fullPage: true });
  expect(errors).toEqual([]);
});

test('digits-vit links: a bundled example reopens by its id; the user\'s own image is asked for again by its SHA-256', async ({ page, context }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=digits-vit');
  await waitReady(page);
  const ex = index.images.find((e) => e.label === 3 && e.predicted === 3)!;
  await page.getByTestId(`example-${ex.id}`).click();
  await expect(page.getByTestId('image-panel')).toContainText(`example ${ex.id}`);
  await expect.poll(async () => (await rows(page))[0]?.label ?? '', { timeout: 60_000 }).toBe('3');
  await page.getByTestId('prediction-list').locator('li').nth(1).click();
  const target = (await rows(page))[1];
  // A path for that class and a node's card: the link reruns both.
  await page.getByTestId('run-path').click();
  const nodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  await expect(nodes.first()).toBeVisible({ timeout: 120_000 });
  const pathIds = await nodes.evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')));
  await nodes.last().click();
  await expect(page.getByTestId('patch-overlay')).toBeVisible({ timeout: 60_000 });
  await expect.poll(async () => decodeSession((await page.evaluate(() => location.hash)).slice(1)).session.selected).toEqual([pathIds[pathIds.length - 1]]);
  await expect.poll(async () => decodeSession((await page.evaluate(() => location.hash)).slice(1)).session.image).toEqual({ example: ex.id });
  const link = await page.evaluate(() => location.href);
  expect(link).not.toContain('png');

  const again = await context.newPage();
  const errors2 = watchConsole(again);
  await again.goto(link);
  await waitReady(again);
  await expect(again.getByTestId('image-panel')).toContainText(`example ${ex.id}`);
  await expect.poll(async () => (await rows(again))[0]?.label ?? '', { timeout: 60_000 }).toBe('3');
  // The class the user picked is the target again, named by its label.
  await expect(again.getByTestId('prediction-list').locator('li.target')).toHaveAttribute('data-token-id', String(target.id));
  await expect(again.locator('[data-testid=path-graph] g.node[data-role=path]').first()).toBeVisible({ timeout: 120_000 });
  expect(await again.locator('[data-testid=path-graph] g.node[data-role=path]').evaluateAll((els) => els.map((e) => e.getAttribute('data-node-id')))).toEqual(pathIds);
  await expect(again.getByTestId('patch-overlay')).toBeVisible({ timeout: 60_000 });

  // The user's own image: the link holds its SHA-256 only, and reopening asks for the file.
  const own = index.images.find((e) => e.label === 5)!;
  await again.getByTestId('image-file').setInputFiles(join(EXAMPLES, own.file));
  await expect(again.getByTestId('image-panel')).toContainText(`${own.file}, 28×28`);
  const sha = createHash('sha256').update(readFileSync(join(EXAMPLES, own.file))).digest('hex');
  await expect.poll(async () => decodeSession((await again.evaluate(() => location.hash)).slice(1)).session.image).toEqual({ sha256: sha, name: own.file });
  const ownLink = await again.evaluate(() => location.href);
  const third = await context.newPage();
  const errors3 = watchConsole(third);
  await third.goto(ownLink);
  await waitReady(third);
  await expect(third.getByTestId('image-awaited')).toBeVisible();
  await expect(third.getByTestId('image-canvas')).toHaveCount(0);
  await third.getByTestId('image-file').setInputFiles(join(EXAMPLES, own.file));
  await expect(third.getByTestId('image-awaited')).toHaveCount(0);
  await expect(third.getByTestId('image-panel')).toContainText(`${own.file}, 28×28`);
  await expect(third.getByTestId('notice')).toHaveCount(0);
  await expect.poll(async () => (await rows(third)).length, { timeout: 60_000 }).toBe(10);
  expect([...errors, ...errors2, ...errors3]).toEqual([]);
});

test('digits-vit: a 56×56 PNG dropped, a PNG pasted and a colour JPEG (converted to grayscale) are classified as the CLI classifies them', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=digits-vit');
  await waitReady(page);
  await expect.poll(async () => (await rows(page)).length, { timeout: 60_000 }).toBe(10);
  const ex = index.images.find((e) => e.label === 4)!;
  const png = decodePng(readFileSync(join(EXAMPLES, ex.file)));
  // The digit at twice its size: the worker resizes it to 28×28 (PIL's bilinear) as the CLI does.
  const big = new Uint8Array(56 * 56);
  for (let y = 0; y < 56; y++) for (let x = 0; x < 56; x++) big[y * 56 + x] = png.data[(y >> 1) * 28 + (x >> 1)];
  const bigPng = encodePng({ width: 56, height: 56, channels: 1, data: big });
  const bigFile = test.info().outputPath('digit-56.png');
  mkdirSync(dirname(bigFile), { recursive: true });
  writeFileSync(bigFile, bigPng);
  const send = async (type: 'drop' | 'paste', bytes: Uint8Array, name: string, mime: string) =>
    page.getByTestId(type === 'drop' ? 'image-drop' : 'image-panel').evaluate(
      (el, { type, bytes, name, mime }) => {
        const dt = new DataTransfer();
        dt.items.add(new File([new Uint8Array(bytes)], name, { type: mime }));
        el.dispatchEvent(type === 'drop' ? new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }) : new ClipboardEvent('paste', { clipboardData: dt, bubbles: true, cancelable: true }));
      },
      { type, bytes: Array.from(bytes), name, mime },
    );
  await send('drop', bigPng, 'digit-56.png', 'image/png');
  await expect(page.getByTestId('image-panel')).toContainText('digit-56.png, 56×56');
  // The page's drop target for model files does not take the image too.
  await expect(page.getByTestId('error')).toHaveCount(0);
  const cli = cliProbs(bigFile);
  await expect.poll(async () => (await rows(page)).every((r) => Math.abs(r.prob - cli[r.id]) < 1e-4), { timeout: 60_000 }).toBe(true);

  // The PNG of another digit, pasted.
  const other = index.images.find((e) => e.label === 8)!;
  await send('paste', readFileSync(join(EXAMPLES, other.file)), other.file, 'image/png');
  await expect(page.getByTestId('image-panel')).toContainText(`${other.file}, 28×28`);
  const cli8 = cliProbs(join(EXAMPLES, other.file));
  await expect.poll(async () => (await rows(page)).every((r) => Math.abs(r.prob - cli8[r.id]) < 1e-4), { timeout: 60_000 }).toBe(true);

  // A colour JPEG of the digit: converted to the model's one channel as PIL's convert("L") does, in the worker as in
  // the CLI, and classified alike.
  const rgb = new Uint8Array(28 * 28 * 4);
  for (let i = 0; i < 28 * 28; i++) rgb.set([png.data[i], png.data[i] >> 1, 255 - png.data[i], 255], i * 4);
  const jpeg = jpegEncode({ data: rgb, width: 28, height: 28 }, 90).data;
  const jpegFile = test.info().outputPath('colour.jpg');
  writeFileSync(jpegFile, jpeg);
  await send('drop', jpeg, 'colour.jpg', 'image/jpeg');
  await expect(page.getByTestId('image-panel')).toContainText('colour.jpg, 28×28');
  await expect(page.getByTestId('prompt-error')).toHaveCount(0);
  await expect(page.getByTestId('error')).toHaveCount(0);
  const cliJpeg = cliProbs(jpegFile);
  await expect.poll(async () => (await rows(page)).every((r) => Math.abs(r.prob - cliJpeg[r.id]) < 1e-4), { timeout: 60_000 }).toBe(true);

  // The Activations and Attention tabs read the image: tokens × neurons, a head's pattern and [CLS] → patches per head.
  await page.getByTestId('tab-heatmap').click();
  await expect(page.getByTestId('activation-heatmap')).toBeVisible();
  await page.getByTestId('tab-attention').click();
  await expect(page.getByTestId('attention-pattern')).toBeVisible();
  await expect(page.getByTestId('vision-heads').locator('canvas')).toHaveCount(4);
  await page.screenshot({ path: test.info().outputPath('attention.png'), fullPage: true });
  expect(errors).toEqual([]);
});
