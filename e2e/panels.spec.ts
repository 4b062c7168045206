import { expect, test, type Page } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

const widths = (page: Page) => page.locator('main.grid > section').evaluateAll((els) => els.map((e) => Math.round(e.getBoundingClientRect().width)));

async function drag(page: Page, id: string, dx: number) {
  const box = (await page.getByTestId(id).boundingBox())!;
  const x = box.x + box.width / 2;
  const y = box.y + 100;
  await page.mouse.move(x, y);
  await page.mouse.down();
  await page.mouse.move(x + dx / 2, y, { steps: 4 });
  await page.mouse.move(x + dx, y, { steps: 4 });
  await page.mouse.up();
}

test('the columns resize by dragging the splitters, the widths persist across a reload, double-click restores the defaults', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  await page.evaluate(() => localStorage.removeItem('pathlight.columns.v1'));
  await page.reload();
  await waitReady(page);
  const start = await widths(page);
  expect(start).toHaveLength(3);
  // The default layout: the columns share the width 1 : 2 : 0.9 over their minimums (330, 420, 260 px).
  expect(start[0]).toBeGreaterThanOrEqual(330);
  expect(start[1]).toBeGreaterThan(start[0]);

  await drag(page, 'splitter-0', 90);
  const after = await widths(page);
  expect(Math.abs(after[0] - (start[0] + 90))).toBeLessThanOrEqual(3);
  expect(Math.abs(after[1] - (start[1] - 90))).toBeLessThanOrEqual(3);
  expect(Math.abs(after[2] - start[2])).toBeLessThanOrEqual(3);

  await drag(page, 'splitter-1', -60);
  const after2 = await widths(page);
  expect(Math.abs(after2[1] - (after[1] - 60))).toBeLessThanOrEqual(3);
  expect(Math.abs(after2[2] - (after[2] + 60))).toBeLessThanOrEqual(3);
  // A column never goes below its minimum.
  await drag(page, 'splitter-0', -600);
  expect((await widths(page))[0]).toBeGreaterThanOrEqual(329);
  await drag(page, 'splitter-0', 150);
  const kept = await widths(page);

  await page.reload();
  await waitReady(page);
  expect(await widths(page)).toEqual(kept);

  // Keyboard: ← / → move a focused splitter by 20 px.
  await page.getByTestId('splitter-1').focus();
  await page.keyboard.press('ArrowRight');
  const k = await widths(page);
  expect(Math.abs(k[1] - (kept[1] + 20))).toBeLessThanOrEqual(3);

  await page.getByTestId('splitter-0').dblclick();
  expect(await widths(page)).toEqual(start);
  await page.reload();
  await waitReady(page);
  expect(await widths(page)).toEqual(start);
  expect(errors).toEqual([]);
});
