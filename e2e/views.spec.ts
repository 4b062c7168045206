import { expect, test } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

test('a head click opens its card beside the graph; heatmap cells open neuron cards; one colour legend', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Der Hund ist');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  const head = page.locator('[data-testid=path-graph] g.node[data-node-id^="L1.H2"]');
  await expect(head).toBeVisible({ timeout: 120_000 });
  await head.click();
  await expect(page.getByTestId('neuron-card')).toContainText('L1.H2');
  await expect(page.getByTestId('head-card-pattern').locator('canvas')).toBeVisible();
  await expect(page.getByTestId('path-graph')).toBeVisible(); // the graph stays
  await page.getByTestId('ablate-zero').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.locator('[data-testid=path-graph] g.node[data-edited=true]')).toHaveCount(1);

  await page.getByTestId('tab-heatmap').click();
  const heat = page.getByTestId('activation-heatmap');
  await expect(heat.locator('canvas')).toBeVisible();
  await expect(heat.getByTestId('heatmap-legend')).toContainText('blue +, red −');
  await expect(heat.locator('text.row').first()).toHaveText('D');
  await expect(heat.locator('text.row').nth(3)).toHaveText('·'); // the space, visible
  await page.getByTestId('heatmap-neurons').fill('8');
  await expect(heat.locator('text.col')).toHaveCount(8);
  const firstCol = await heat.locator('text.col').first().textContent();
  // The first cell of row 2 (third token): that neuron's card at that position.
  const box = (await heat.locator('rect.hit').boundingBox())!;
  await page.mouse.click(box.x + 8, box.y + 2 * 16 + 8);
  // The heatmap shows the layer of the head clicked last (layer 1).
  await expect(page.getByTestId('neuron-card')).toContainText(`L1.${firstCol}@2`);
  expect(errors).toEqual([]);
});

test('graph export is enabled after Run and after a restored link, and the SVG names the model and prompt', async ({ page, context }) => {
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Die Katze');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await expect(page.getByTestId('export-svg')).toBeDisabled();
  await page.getByTestId('run-path').click();
  await expect(page.locator('[data-testid=path-graph] g.node[data-role=path]').first()).toBeVisible({ timeout: 120_000 });
  await expect(page.getByTestId('export-svg')).toBeEnabled();
  const read = async (p: typeof page) => {
    const [dl] = await Promise.all([p.waitForEvent('download'), p.getByTestId('export-svg').click()]);
    const stream = await dl.createReadStream();
    const chunks: Buffer[] = [];
    for await (const c of stream) chunks.push(c as Buffer);
    return Buffer.concat(chunks).toString('utf8');
  };
  const svg = await read(page);
  expect(svg).toContain('polyglot (gpt2)');
  expect(svg).toContain(`prompt: "Die Katze"`);
  expect(svg).toMatch(/<metadata>.*"app":"Pathlight"/);
  expect(svg).toContain('promotes the target');
  // The same after reopening the link in a new page.
  const link = await page.evaluate(() => {
    (document.querySelector('[data-testid=copy-link]') as HTMLButtonElement)?.click();
    return location.href;
  });
  const other = await context.newPage();
  await other.goto(link);
  await waitReady(other);
  await expect(other.locator('[data-testid=path-graph] g.node[data-role=path]').first()).toBeVisible({ timeout: 120_000 });
  await expect(other.getByTestId('export-svg')).toBeEnabled();
  expect(await read(other)).toContain('Die Katze');
});

test('a model without a reference text: the card says its contexts come from the prompt, mean ablation waits for a text the user gives', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=gpt2-tiny');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('The cat sat on the mat');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  const node = page.locator('[data-testid=path-graph] g.node[data-role=path]').last();
  await expect(node).toBeVisible({ timeout: 120_000 });
  await node.click();
  await expect(page.getByTestId('card-source')).toContainText('no reference text');
  await expect(page.getByTestId('ablate-mean')).toBeDisabled();
  await page.getByTestId('reference-text').locator('summary').click();
  const text = Array.from({ length: 40 }, (_, i) => `The quick brown fox ${i} jumps over the lazy dog, again and again, line ${i}.`).join('\n');
  await page.getByTestId('reference-text').locator('textarea').fill(text);
  await page.getByTestId('reference-use').click();
  await expect(page.getByTestId('card-source')).toContainText('From pasted text');
  await expect(page.getByTestId('ablate-mean')).toBeEnabled();
  await page.getByTestId('ablate-mean').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible();
  await expect(page.getByTestId('error')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('a link keeps the metric, the positions, the layer and the zoom, and reopens with them', async ({ page, context }) => {
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Der Hund');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('method').selectOption('gxa');
  await page.getByTestId('target-kind').selectOption('logprob');
  await page.getByTestId('positions').selectOption('all');
  await page.getByTestId('layer').selectOption('2');
  await page.getByTestId('run-path').click();
  await expect(page.locator('[data-testid=path-graph] g.node').first()).toBeVisible({ timeout: 60_000 });
  // Only layer 2 is attributed.
  const layers = await page.locator('[data-testid=path-graph] g.node').evaluateAll((els) => [...new Set(els.filter((e) => !e.querySelector('rect.head-shape:not([display=none])')).map((e) => e.getAttribute('data-node-id')!.split('.')[0]))]);
  expect(layers).toEqual(['L2']);
  const box = (await page.getByTestId('path-graph').boundingBox())!;
  await page.mouse.move(box.x + box.width / 2, box.y + 60);
  await page.mouse.wheel(0, -300);
  await expect.poll(() => page.evaluate(() => (globalThis as any).__pathlight.state().zoom?.k ?? 1)).toBeGreaterThan(1.05);
  const k = await page.evaluate(() => (globalThis as any).__pathlight.state().zoom.k);
  const link = await page.evaluate(() => {
    (document.querySelector('[data-testid=copy-link]') as HTMLButtonElement).click();
    return location.href;
  });
  const other = await context.newPage();
  await other.goto(link);
  await waitReady(other);
  await expect(other.getByTestId('target-kind')).toHaveValue('logprob');
  await expect(other.getByTestId('positions')).toHaveValue('all');
  await expect(other.getByTestId('layer')).toHaveValue('2');
  await expect(other.locator('[data-testid=path-graph] g.node').first()).toBeVisible({ timeout: 60_000 });
  expect(await other.evaluate(() => (globalThis as any).__pathlight.state().zoom?.k)).toBeCloseTo(k, 5);
  const t = await other.locator('[data-testid=path-graph] g.zoom').getAttribute('transform');
  expect(t).toContain(`scale(${k}`.slice(0, 10));
  // The attribution ran with the link's metric.
  expect(await other.evaluate(() => (globalThis as any).__pathlight.state().attribution.target.kind)).toBe('logprob');
});

test('patching in the workbench: a clean/corrupted pair, exact and attribution patching on the graph, a clear message for unequal lengths', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Der Hund ist');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('method').selectOption('patch_exact');
  await page.getByTestId('corrupted-input').fill('Der Hund');
  await page.getByTestId('run-path').click();
  await expect(page.locator('.error.inline')).toContainText('is 8 tokens long and the prompt 12');
  await page.getByTestId('corrupted-input').fill('Die Hund ist');
  await page.getByTestId('run-path').click();
  await expect(page.getByTestId('patch-summary')).toContainText('exact: clean metric', { timeout: 120_000 });
  await expect(page.locator('[data-testid=path-graph] g.node').first()).toBeVisible();
  await page.getByTestId('method').selectOption('patch_atp');
  await page.getByTestId('run-path').click();
  await expect(page.getByTestId('patch-summary')).toContainText('atp: clean metric', { timeout: 60_000 });
  expect(errors).toEqual([]);
});

test('the attribution graph tab: positions as rows, a node click opens its card, circuit-tracer export', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=induction');
  await waitReady(page);
  await page.getByTestId('tab-circuit').click();
  await page.getByTestId('run-circuit').click();
  const nodes = page.locator('[data-testid=position-graph] [data-node-id]');
  await expect(nodes.first()).toBeVisible({ timeout: 60_000 });
  const head = page.locator('[data-testid=position-graph] [data-node-id^="L1.H"]').first();
  await head.click();
  await expect(page.getByTestId('neuron-card')).toContainText('L1.H');
  const [dl] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-circuit-tracer').click()]);
  const chunks: Buffer[] = [];
  for await (const c of await dl.createReadStream()) chunks.push(c as Buffer);
  const json = JSON.parse(Buffer.concat(chunks).toString('utf8'));
  expect(Object.keys(json)).toEqual(expect.arrayContaining(['provenance', 'metadata', 'qParams', 'nodes', 'links']));
  expect(json.nodes.length).toBeGreaterThan(3);
  expect(errors).toEqual([]);
});
