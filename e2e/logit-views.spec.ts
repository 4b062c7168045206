import { expect, test } from '@playwright/test';
import { waitReady, watchConsole } from './helpers';

test.beforeEach(async ({ page }) => {
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Der Hund ');
  // The predictions of this prompt (the sample prompt's were already there).
  await expect
    .poll(() => page.evaluate(() => {
      const s = (globalThis as any).__pathlight.state();
      return s.tokensPrompt === s.prompt && s.prompt === 'Der Hund ' && !s.predicting && s.clean !== null;
    }))
    .toBe(true);
});

test('the DLA tab: top heads and neurons per layer whose parts sum to the predicted logit, a bar equal to its effect through the frozen final norm, a click opening the card', async ({ page }) => {
  const errors = watchConsole(page);
  await page.getByTestId('tab-dla').click();
  const summary = page.getByTestId('dla-summary');
  await expect(summary).toBeVisible({ timeout: 60_000 });
  const st = await page.evaluate(() => {
    const s = (globalThis as any).__pathlight.state();
    return { logit: s.clean[0].logit as number, nLayer: s.model.config.nLayer as number, T: s.tokens.ids.length as number };
  });
  // The metric is the top prediction's logit (read from the predictions), and the parts sum to it.
  await expect.poll(async () => Math.abs(Number(await summary.getAttribute('data-metric')) - st.logit)).toBeLessThan(5e-4);
  const metric = Number(await summary.getAttribute('data-metric'));
  expect(Number(await summary.getAttribute('data-sum'))).toBeCloseTo(metric, 3);
  const bars = page.locator('[data-testid=dla-chart] g.bar');
  await expect(bars).toHaveCount(st.nLayer * 5);
  await page.getByTestId('dla-k').fill('3');
  await expect(bars).toHaveCount(st.nLayer * 3);
  // Within a layer, largest |contribution| first.
  const layers = await page.locator('[data-testid=dla-chart] g.layer').evaluateAll((gs) => gs.map((g) => [...g.querySelectorAll('g.bar')].map((b) => Math.abs(Number(b.getAttribute('data-value'))))));
  for (const l of layers) expect(l).toEqual([...l].sort((a, b) => b - a));
  // A neuron bar, independently: add s_t · post · (W_out[n] − its mean) to ln_final.hook_normalized at t (logits are linear in it).
  const bar = page.locator('[data-testid=dla-chart] g.bar[data-node-id*=".N"]').first();
  const id = (await bar.getAttribute('data-node-id'))!;
  const value = Number(await bar.getAttribute('data-value'));
  const direct = await page.evaluate(async (id) => {
    const pl = (globalThis as any).__pathlight;
    const s = pl.state();
    const [, l, n, t] = /^L(\d+)\.N(\d+)@(\d+)$/.exec(id)!.map(Number);
    const L = s.model.config.nLayer;
    const D = s.model.config.dModel;
    const ids = s.tokens.ids;
    const target = { kind: 'logit', token: s.clean[0].id, position: t };
    const r = await pl.run({ inputIds: [ids], capture: [`blocks.${L - 1}.hook_resid_post`, 'ln_final.hook_normalized', `blocks.${l}.mlp.hook_post`], target, logits: 'none' });
    const x = r.activations[`blocks.${L - 1}.hook_resid_post`].data.slice(t * D, (t + 1) * D);
    const y = r.activations['ln_final.hook_normalized'].data.slice(t * D, (t + 1) * D);
    const mx = x.reduce((a: number, b: number) => a + b, 0) / D;
    const scale = Math.sqrt(y.reduce((a: number, b: number) => a + b * b, 0) / x.reduce((a: number, b: number) => a + (b - mx) ** 2, 0));
    const post = r.activations[`blocks.${l}.mlp.hook_post`].data[t * s.model.config.dMlp + n];
    const dir: Float32Array = await pl.engine.neuronDirection(l, n);
    const md = dir.reduce((a, b) => a + b, 0) / D;
    const vector = Array.from(dir, (v) => scale * post * (v - md));
    const e = await pl.run({ inputIds: [ids], edits: [{ hook: 'ln_final.hook_normalized', index: null, op: 'add', value: 1, vector, positions: [t] }], target, logits: 'none' });
    return e.targetValues[0] - r.targetValues[0];
  }, id);
  expect(Math.abs(direct - value)).toBeLessThan(1e-3 * Math.max(1, Math.abs(value)));
  await bar.click();
  await expect(page.getByTestId('neuron-card')).toContainText(id.split('@')[0]);
  expect(await page.evaluate(() => (globalThis as any).__pathlight.state().selected)).toBe(id);
  expect(errors).toEqual([]);
});

test('the logit lens tab: every layer × every token, the last row reading the model\'s own prediction, each block\'s post equal to the next one\'s pre', async ({ page }) => {
  const errors = watchConsole(page);
  await page.getByTestId('tab-lens').click();
  const st = await page.evaluate(() => {
    const s = (globalThis as any).__pathlight.state();
    return { logit: s.clean[0].logit as number, token: s.clean[0].token as string, L: s.model.config.nLayer as number, T: s.tokens.ids.length as number, tokens: s.tokens.tokens as string[] };
  });
  const cells = page.locator('[data-testid=lens-grid] g.cell');
  await expect(cells).toHaveCount(2 * st.L * st.T, { timeout: 60_000 });
  await expect(page.locator('[data-testid=lens-grid] text.col')).toHaveCount(st.T);
  const cell = (r: number, c: number) => page.locator(`[data-testid=lens-grid] g.cell[data-row="${r}"][data-col="${c}"]`);
  const last = cell(2 * st.L - 1, st.T - 1);
  await expect.poll(async () => Math.abs(Number(await last.getAttribute('data-value')) - st.logit)).toBeLessThan(5e-4);
  expect(await last.getAttribute('data-top')).toBe(st.token);
  for (let l = 0; l + 1 < st.L; l++) {
    for (const c of [0, st.T - 1]) {
      expect(Number(await cell(2 * l + 1, c).getAttribute('data-value'))).toBeCloseTo(Number(await cell(2 * l + 2, c).getAttribute('data-value')), 4);
    }
  }
  await page.getByTestId('lens-show').selectOption('value');
  await expect(last.locator('text')).toHaveText(st.logit.toFixed(2));
  // The metric follows the workbench's choice.
  await page.getByTestId('tab-graph').click();
  await page.getByTestId('target-kind').selectOption('logprob');
  await page.getByTestId('tab-lens').click();
  await expect(page.getByTestId('lens-panel')).toContainText('metric: logprob');
  await expect.poll(async () => Number(await cell(2 * st.L - 1, st.T - 1).getAttribute('data-value'))).toBeLessThan(0);
  expect(errors).toEqual([]);
});
