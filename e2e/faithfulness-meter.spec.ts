import { expect, test, type Page } from '@playwright/test';
import { serveDeepModel } from './deep-model';
import { waitReady, watchConsole } from './helpers';

/** Pearson r (one-pass sums) and top-k overlap by |value|, computed here, independently of the app. */
function pearson(x: number[], y: number[]): number {
  const n = x.length;
  let sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0;
  for (let i = 0; i < n; i++) [sx, sy, sxx, syy, sxy] = [sx + x[i], sy + y[i], sxx + x[i] ** 2, syy + y[i] ** 2, sxy + x[i] * y[i]];
  return (n * sxy - sx * sy) / Math.sqrt((n * sxx - sx * sx) * (n * syy - sy * sy));
}
function overlap(x: number[], y: number[], k: number): number {
  const top = (v: number[]) => new Set(v.map((a, i) => [Math.abs(a), i]).sort((a, b) => b[0] - a[0]).slice(0, k).map((p) => p[1]));
  const a = top(x);
  return [...top(y)].filter((i) => a.has(i)).length;
}

/** The nodes drawn on the path graph with their scores, and each one's exact effect measured by engine runs in the page. */
async function shownAndExact(page: Page, reference: 'ablation' | 'patching', corrupted?: string) {
  return page.evaluate(
    async ({ reference, corrupted }) => {
      const pl = (globalThis as any).__pathlight;
      const s = pl.state();
      const ids: number[] = s.tokens.ids;
      const ids2 = [...document.querySelectorAll('[data-testid=path-graph] g.node[data-node-id]')].map((e) => e.getAttribute('data-node-id')!);
      const nodes = ids2.map((id) => {
        const m = /^L(\d+)\.([NH])(\d+)@(\d+)$/.exec(id)!;
        const hook = m[2] === 'N' ? `blocks.${m[1]}.mlp.hook_post` : `blocks.${m[1]}.attn.hook_z`;
        const sc = s.attribution.scores[hook];
        return { hook, unit: +m[3], position: +m[4], score: sc.data[+m[4] * sc.shape[1] + +m[3]] as number };
      });
      const t = s.attribution.target;
      const target = { kind: t.kind, token: t.token, distractor: t.distractor, position: t.position };
      let exact: number[];
      if (reference === 'ablation') {
        const edits = [[], ...nodes.map((n) => [{ hook: n.hook, index: n.unit, op: 'zero', positions: [n.position] }])];
        const r = await pl.run({ inputIds: edits.map(() => ids), edits, target, logits: 'none' });
        exact = nodes.map((_, i) => r.targetValues[0] - r.targetValues[i + 1]);
      } else {
        // Clean values written into whole-prompt runs of the corrupted prompt (a neuron clamped, a head's vector replaced).
        const bad: number[] = (await pl.engine.tokenize(corrupted)).ids;
        const cfg = s.model.config;
        const src = await pl.run({ inputIds: [ids], capture: [...new Set(nodes.map((n) => n.hook))], logits: 'none' });
        const edits = [
          [],
          ...nodes.map((n) => {
            const a = src.activations[n.hook].data;
            if (n.hook.endsWith('mlp.hook_post')) return [{ hook: n.hook, index: n.unit, op: 'clamp', value: a[n.position * cfg.dMlp + n.unit], positions: [n.position] }];
            const vector = new Array(cfg.nHead * cfg.dHead).fill(0);
            for (let j = 0; j < cfg.dHead; j++) vector[n.unit * cfg.dHead + j] = a[(n.position * cfg.nHead + n.unit) * cfg.dHead + j];
            return [
              { hook: n.hook, index: n.unit, op: 'zero', positions: [n.position] },
              { hook: n.hook, index: null, op: 'add', value: 1, vector, positions: [n.position] },
            ];
          }),
        ];
        const r = await pl.run({ inputIds: edits.map(() => bad), edits, target, logits: 'none' });
        exact = nodes.map((_, i) => r.targetValues[i + 1] - r.targetValues[0]);
      }
      return { scores: nodes.map((n) => n.score), exact };
    },
    { reference, corrupted },
  );
}

async function checkMeter(page: Page, reference: 'ablation' | 'patching', corrupted?: string) {
  const meter = page.getByTestId('faithfulness-meter');
  await expect(meter).toHaveAttribute('data-state', 'done', { timeout: 120_000 });
  const text = await meter.innerText();
  const m = /faithfulness vs exact (patching|zero-ablation): r = (-?[\d.]+), top-10 overlap (\d+)\/10, over (\d+) nodes/.exec(text);
  expect(m, text).not.toBeNull();
  expect(m![1]).toBe(reference === 'patching' ? 'patching' : 'zero-ablation');
  const { scores, exact } = await shownAndExact(page, reference, corrupted);
  expect(Number(m![4])).toBe(scores.length);
  expect(Number(m![2])).toBeCloseTo(pearson(scores, exact), 1);
  expect(Math.abs(Number((await meter.getAttribute('data-r'))!) - pearson(scores, exact))).toBeLessThan(2e-3);
  expect(Number(m![3])).toBe(overlap(scores, exact, 10));
}

test('the faithfulness meter beside grad × act (vs zero-ablation) and AtP (vs exact patching) agrees with exact runs made here', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?model=polyglot');
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('Der Hund ist');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('method').selectOption('gxa');
  await page.getByTestId('run-path').click();
  await expect(page.locator('[data-testid=path-graph] g.node').first()).toBeVisible({ timeout: 60_000 });
  await checkMeter(page, 'ablation');
  await page.getByTestId('method').selectOption('patch_atp');
  await page.getByTestId('corrupted-input').fill('Die Hund ist');
  await page.getByTestId('run-path').click();
  await expect(page.getByTestId('patch-summary')).toContainText('atp: clean metric', { timeout: 60_000 });
  await checkMeter(page, 'patching', 'Die Hund ist');
  // Methods that do not estimate an effect get no meter.
  await page.getByTestId('method').selectOption('act');
  await page.getByTestId('run-path').click();
  await expect.poll(() => page.evaluate(() => (globalThis as any).__pathlight.state().attribution?.method)).toBe('act');
  await expect(page.locator('[data-testid=path-graph] g.node').first()).toBeVisible();
  await expect(page.getByTestId('faithfulness-meter')).toHaveCount(0);
  expect(errors).toEqual([]);
});

test('on a 12-layer model the meter shows its progress, Cancel stops it, and compute starts it again', async ({ page }) => {
  const url = await serveDeepModel(page, 'deep12m', 12, 12, 96);
  await page.goto(`/?backend=cpu&modelUrl=${encodeURIComponent(url)}`);
  await waitReady(page);
  await page.getByTestId('prompt-input').fill('the cat sat on the mat and looked at the door');
  await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
  await page.getByTestId('method').selectOption('gxa');
  await page.getByTestId('per-layer').fill('32');
  await page.getByTestId('run-path').click();
  const meter = page.getByTestId('faithfulness-meter');
  await expect(meter).toContainText(/computing [1-9]\d*\/\d+/, { timeout: 60_000 });
  await page.getByTestId('faithfulness-cancel').click();
  await expect(meter).toHaveAttribute('data-state', 'cancelled');
  await expect(meter).toContainText('cancelled');
  await page.getByTestId('faithfulness-run').click();
  await expect(meter).toHaveAttribute('data-state', 'running');
  try {
    await expect(meter).toHaveAttribute('data-state', 'done', { timeout: 170_000 });
  } catch (e) {
    // What the page said meanwhile, so a failure tells a slow meter from a stalled or restarted engine.
    const notices = await page.getByTestId('notice').allTextContents();
    throw new Error(`the meter did not finish: "${await meter.textContent()}"; notices: ${JSON.stringify(notices)}; ${(e as Error).message}`);
  }
  await expect(meter).toContainText(/over \d+ nodes/);
  await expect(page.getByTestId('notice').filter({ hasText: 'The engine stopped' })).toHaveCount(0);
});
