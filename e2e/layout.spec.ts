import { expect, test } from '@playwright/test';
import { serveDeepModel } from './deep-model';
import { waitReady, watchConsole } from './helpers';

test('at 12 layers × 12 heads no two graph labels overlap and none is clipped; the edit → effect loop fits 1280×800', async ({ page }) => {
  const errors = watchConsole(page);
  const url = await serveDeepModel(page, 'deep12', 12, 12, 96);
  await page.goto(`/?modelUrl=${encodeURIComponent(url)}`);
  await waitReady(page);
  await expect(page.getByTestId('model-info')).toContainText('12 layers');
  await expect(page.getByTestId('notice')).toHaveCount(0);
  await page.getByTestId('prompt-input').fill('The cat sat on the mat and');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('run-path').click();
  const pathNodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  await expect(pathNodes).toHaveCount(12, { timeout: 150_000 });
  // A first draw this large is made in slices; the graph is whole once it is no longer busy.
  await expect(page.locator('[data-testid=path-graph] svg.path-graph:not([aria-busy])')).toHaveCount(1);
  // Every head of every layer is drawn (12 × 12), each clickable with its own id.
  await expect(page.locator('[data-testid=path-graph] g.node').filter({ has: page.locator('rect.head-shape:not([display=none])') })).toHaveCount(144);
  const boxes = await page.locator('[data-testid=path-graph] svg.path-graph').evaluate((svg) => {
    const outer = svg.getBoundingClientRect();
    const texts = [...svg.querySelectorAll('text')].filter((t) => t.getAttribute('display') !== 'none' && t.textContent);
    return { outer: { x: outer.x, y: outer.y, w: outer.width, h: outer.height }, items: texts.map((t) => ({ text: t.textContent!, ...(({ x, y, width, height }) => ({ x, y, width, height }))(t.getBoundingClientRect()) })) };
  });
  expect(boxes.items.length).toBeGreaterThanOrEqual(12 * 5);
  for (const b of boxes.items) {
    expect(b.x, `${b.text} clipped left`).toBeGreaterThanOrEqual(boxes.outer.x - 0.5);
    expect(b.y, `${b.text} clipped top`).toBeGreaterThanOrEqual(boxes.outer.y - 0.5);
    expect(b.x + b.width, `${b.text} clipped right`).toBeLessThanOrEqual(boxes.outer.x + boxes.outer.w + 0.5);
    expect(b.y + b.height, `${b.text} clipped bottom`).toBeLessThanOrEqual(boxes.outer.y + boxes.outer.h + 0.5);
  }
  const overlaps: string[] = [];
  for (let i = 0; i < boxes.items.length; i++) {
    for (let j = i + 1; j < boxes.items.length; j++) {
      const a = boxes.items[i];
      const b = boxes.items[j];
      if (a.x < b.x + b.width - 0.5 && b.x < a.x + a.width - 0.5 && a.y < b.y + b.height - 0.5 && b.y < a.y + a.height - 0.5) overlaps.push(`${a.text} / ${b.text}`);
    }
  }
  expect(overlaps).toEqual([]);

  // Click a path node, ablate it: card, edit list, predictions and continuation are all in the viewport. Each
  // redraws only the node it changed (the graph's other 263 nodes and its edges are left as they are).
  const touched = () =>
    page.evaluate(() => {
      const w = window as unknown as { __touched?: Set<string>; __obs?: MutationObserver };
      const seen = [...(w.__touched ?? [])];
      w.__obs?.disconnect();
      w.__touched = new Set();
      w.__obs = new MutationObserver((ms) => {
        for (const m of ms) {
          const el = m.target instanceof Element ? m.target : m.target.parentElement;
          const node = el?.closest('g.node, line');
          w.__touched!.add(node ? (node.getAttribute('data-node-id') ?? `edge ${node.querySelector('title')?.textContent}`) : `<${el?.tagName}>`);
        }
      });
      w.__obs.observe(document.querySelector('[data-testid=path-graph] svg.path-graph g.zoom')!, { subtree: true, attributes: true, childList: true, characterData: true });
      return seen;
    });
  await touched();
  const clicked = await pathNodes.nth(11).getAttribute('data-node-id');
  await pathNodes.nth(11).click();
  await expect(page.getByTestId('neuron-card')).toBeVisible();
  await expect(pathNodes.nth(11)).toHaveAttribute('data-selected', 'true');
  expect(await touched()).toEqual([clicked]);
  await page.getByTestId('ablate-zero').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.locator('[data-testid=path-graph] g.node[data-edited=true]')).toHaveCount(1);
  await expect(page.locator('[data-testid=path-graph] g.node[data-edited=true] circle.edit-ring')).toHaveCount(1);
  expect(await touched()).toEqual([clicked]);
  await expect(page.getByTestId('generation-edited')).toBeVisible({ timeout: 120_000 });
  for (const id of ['neuron-card', 'edits-list', 'prediction-list', 'generation-edited']) await expect(page.getByTestId(id), id).toBeInViewport();
  await page.screenshot({ path: test.info().outputPath('deep12.png') });
  expect(errors).toEqual([]);
});
