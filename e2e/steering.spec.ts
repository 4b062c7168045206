import { expect, test, type Page } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

type Api = {
  __pathlight: {
    state(): { edits: Array<{ hook: string; op: string; value?: number; vector?: number[]; positions: number[] | null; label?: string }> };
    run(req: { inputIds: number[][]; capture: string[]; logits: string }): Promise<{ activations: Record<string, { data: Float32Array | number[] }> }>;
    engine: { tokenize(t: string): Promise<{ ids: number[] }> };
  };
};

const POSITIVE = ['Der Hund ist', 'Die Katze ist', 'Das Haus ist'];
const NEGATIVE = ['The dog is', 'The cat is', 'The house is'];

/** mean over prompts of (mean over tokens of blocks.2.hook_resid_pre), positive − negative, from plain engine runs. */
async function expectedVector(page: Page): Promise<number[]> {
  return page.evaluate(
    async ([pos, neg]) => {
      const pl = (globalThis as unknown as Api).__pathlight;
      const hook = 'blocks.2.hook_resid_pre';
      const mean = async (set: string[]) => {
        let acc: number[] | null = null;
        for (const text of set) {
          const ids = (await pl.engine.tokenize(text)).ids;
          const a = Array.from((await pl.run({ inputIds: [ids], capture: [hook], logits: 'none' })).activations[hook].data);
          const D = a.length / ids.length;
          acc ??= new Array(D).fill(0);
          for (let t = 0; t < ids.length; t++) for (let i = 0; i < D; i++) acc[i] += a[t * D + i] / ids.length / set.length;
        }
        return acc!;
      };
      const [p, n] = [await mean(pos), await mean(neg)];
      return p.map((x, i) => x - n[i]);
    },
    [POSITIVE, NEGATIVE],
  );
}

const editsOf = (page: Page) => page.evaluate(() => (globalThis as unknown as Api).__pathlight.state().edits.map(({ hook, op, value, vector, positions, label }) => ({ hook, op, value, vector, positions, label })));

test('steering: a contrastive vector from two prompt sets becomes an add edit, the predictions change, the sweep draws, the link reopens with it', async ({ page, context }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('The dog ');
  const list = page.getByTestId('prediction-list');
  await expect(list.locator('li')).toHaveCount(10);

  await page.getByTestId('steering-panel').locator('summary').click();
  await page.getByTestId('steer-positive').fill(POSITIVE.join('\n'));
  await page.getByTestId('steer-negative').fill(NEGATIVE.join('\n'));
  await page.getByTestId('steer-layer').selectOption('2');
  await page.getByTestId('steer-build').click();
  await expect(page.getByTestId('steer-vector')).toContainText('blocks.2.hook_resid_pre: ‖v‖ = ');
  await expect(page.getByTestId('steer-vector')).toContainText('from 3 − 3 prompts');

  // Apply at α = 6 on every position: one add edit with the vector, and the predictions change.
  await page.getByTestId('steer-alpha').fill('6');
  await page.getByTestId('steer-apply').click();
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(page.getByTestId('edits-list')).toContainText(/steer L2\.pre α=6 ‖v‖=\d\.\d\d @all: 3 prompts − 3 prompts/);
  const [edit] = await editsOf(page);
  expect(edit).toMatchObject({ hook: 'blocks.2.hook_resid_pre', op: 'add', value: 6, positions: null });
  const expected = await expectedVector(page);
  expect(edit.vector!.length).toBe(expected.length);
  const worst = Math.max(...expected.map((x, i) => Math.abs(x - edit.vector![i])));
  expect(worst).toBeLessThan(1e-4);
  await expect(page.getByTestId('prediction-list-edited')).toBeVisible({ timeout: 30_000 });
  await expect
    .poll(() => list.locator('li').evaluateAll((els) => els.some((e) => e.dataset.editedProb !== undefined && Math.abs(Number(e.dataset.editedProb) - Number(e.dataset.prob)) > 1e-3)))
    .toBe(true);

  // The sweep: −8 … 8 in steps of 4 draws five points; α = 0 is the clean probability of the target (the top prediction).
  await page.getByTestId('steer-sweep-from').fill('-8');
  await page.getByTestId('steer-sweep-to').fill('8');
  await page.getByTestId('steer-sweep-step').fill('4');
  await page.getByTestId('steer-sweep').click();
  await expect(page.getByTestId('steering-chart').locator('circle.sweep-point')).toHaveCount(5, { timeout: 120_000 });
  const rows = page.getByTestId('steer-sweep-rows').locator('tbody tr');
  await expect(rows).toHaveCount(5);
  const probs = await rows.evaluateAll((els) => els.map((e) => ({ alpha: Number(e.dataset.alpha), prob: Number(e.dataset.prob) })));
  expect(probs.map((p) => p.alpha)).toEqual([-8, -4, 0, 4, 8]);
  const clean = Number(await list.locator('li').first().getAttribute('data-prob'));
  expect(probs[2].prob).toBeCloseTo(clean, 5);
  expect(new Set(probs.map((p) => p.prob.toFixed(4))).size).toBeGreaterThan(1);
  // Each row has a continuation; clicking a point picks its strength.
  await expect(rows.nth(4).locator('td.gen')).not.toBeEmpty();
  await page.getByTestId('steering-chart').locator('circle.sweep-point').nth(3).click();
  await expect(page.getByTestId('steer-alpha')).toHaveValue('4');
  await page.screenshot({ path: test.info().outputPath('steering.png'), fullPage: true });

  // Bad input says what is wrong.
  await page.getByTestId('steer-positions').fill('3,x');
  await page.getByTestId('steer-apply').click();
  await expect(page.getByTestId('steer-error')).toContainText('"x" is not a position');
  await expect(page.getByTestId('edits-list').locator('li')).toHaveCount(1);

  // The link reopens with the steering edit (same vector, strength, label), and it is applied.
  await expect.poll(() => page.url()).toContain('#');
  await expect.poll(async () => decodeURIComponent(page.url()).length).toBeGreaterThan(200);
  await page.waitForTimeout(600);
  const url = page.url();
  const again = await context.newPage();
  const errors2 = watchConsole(again);
  await again.goto(url);
  await waitReady(again);
  await expect(again.getByTestId('edits-list').locator('li')).toHaveCount(1);
  await expect(again.getByTestId('edits-list')).toContainText('steer L2.pre α=6');
  const [reopened] = await editsOf(again);
  expect(reopened).toMatchObject({ hook: 'blocks.2.hook_resid_pre', op: 'add', value: 6, positions: null });
  expect(Math.max(...reopened.vector!.map((x, i) => Math.abs(x - edit.vector![i])))).toBeLessThan(1e-6);
  await expect(again.getByTestId('prediction-list-edited')).toBeVisible({ timeout: 60_000 });
  expect(errors).toEqual([]);
  expect(errors2).toEqual([]);
});
