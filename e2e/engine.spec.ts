import { expect, test } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { waitReady, watchConsole } from './helpers';

const refOf = (fixture: string) => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'test', 'fixtures', fixture, 'reference.json'), 'utf8'));
const ref = refOf('gpt2-tiny');

test('the default page reaches ready and shows predictions', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/');
  await waitReady(page);
  // Headless Chromium here has only SwiftShader (software) for WebGPU and WebGL: auto takes WASM and says why.
  // The page is cross-origin isolated (COOP/COEP from the server), so WASM runs on every core and says so.
  // One core is left to the page: threads = cores − 1 (at most 8).
  const cores = await page.evaluate(() => (crossOriginIsolated ? navigator.hardwareConcurrency : 0));
  expect(cores, 'the page is cross-origin isolated').toBeGreaterThan(0);
  const threads = Math.max(1, Math.min(8, cores - 1));
  await expect(page.getByTestId('backend')).toHaveText(threads > 1 ? `backend: wasm · ${threads} threads` : 'backend: wasm');
  await expect(page.getByTestId('backend')).toHaveAttribute('title', /WASM: WebGPU adapter is software|WASM: .*WebGL renderer is software/);
  await expect(page.getByTestId('backend')).toHaveAttribute('title', threads > 1 ? new RegExp(`${threads} threads \\(cross-origin isolated page`) : /one thread \(\d+ cores?: one is left to the page\)/);
  const list = page.getByTestId('prediction-list');
  await expect(list.locator('li')).toHaveCount(10);
  await page.getByTestId('prompt-input').fill('The cat ');
  await expect(page.getByTestId('token-chips')).toContainText('c');
  await expect(list.locator('li')).toHaveCount(10);
  // One <li> per token: the token string and its probability as a percentage.
  await expect(list.locator('li').first()).toContainText(/\d+\.\d%/);
  await page.screenshot({ path: test.info().outputPath('default.png') });
  expect(errors).toEqual([]);
});

/** Runs the reference request in the page's worker and compares with the PyTorch reference. */
async function parity(page: import('@playwright/test').Page, ref = refOf('gpt2-tiny')) {
  return page.evaluate(async (ref) => {
    const api = (globalThis as any).__pathlight;
    const worst = (a: ArrayLike<number>, r: number[]) => {
      if (a.length !== r.length) return Infinity;
      let w = 0;
      for (let i = 0; i < r.length; i++) w = Math.max(w, Math.abs(a[i] - r[i]) / (1e-4 + 1e-3 * Math.abs(r[i])));
      return w;
    };
    const capture = Object.keys(ref.activations);
    const res = await api.run({ inputIds: [ref.input_ids], capture, target: { kind: 'logit', token: ref.target.token, position: ref.target.position } });
    const out: Record<string, number> = { logits: worst(res.logits.data, ref.logits.data) };
    for (const h of capture) out[`act ${h}`] = worst(res.activations[h].data, ref.activations[h].data);
    for (const h of Object.keys(ref.grad_target_logit_wrt_mlp_post)) out[`grad ${h}`] = worst(res.grads[h].data, ref.grad_target_logit_wrt_mlp_post[h].data);
    for (let i = 0; i < ref.interventions.length; i++) {
      const edits = ref.interventions[i].edits.map((e: any) => ({ hook: e.hook, index: e.neuron, op: e.kind, value: e.value ?? undefined, positions: e.position === null ? null : [e.position] }));
      const r = await api.run({ inputIds: [ref.input_ids], edits, logits: 'last' });
      out[`intervention ${i}`] = worst(r.logits.data, ref.interventions[i].last_position_logits);
    }
    return out;
  }, ref);
}

// The other architectures (bundled copies of their fixtures) on the backends the browser runs best.
for (const fixture of ['gptneo-tiny', 'pythia-tiny', 'llama-tiny']) {
  for (const backend of ['wasm', 'webgpu']) {
    test(`?backend=${backend}: ${fixture} matches its reference`, async ({ page }) => {
      const errors = watchConsole(page);
      await page.goto(`/?backend=${backend}&model=${fixture}`);
      await waitReady(page);
      await expect(page.getByTestId('backend')).toHaveText(new RegExp(`^backend: ${backend}( · \\d+ threads)?$`));
      const ratios = await parity(page, refOf(fixture));
      for (const [k, v] of Object.entries(ratios)) expect(v, `${fixture} ${backend} ${k}`).toBeLessThanOrEqual(1);
      await expect(page.getByTestId('model-info')).toContainText(`${fixture} (`);
      await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
      expect(errors).toEqual([]);
    });
  }
}

for (const backend of ['wasm', 'cpu', 'webgl', 'webgpu']) {
  test(`?backend=${backend}: the fixture matches the reference`, async ({ page }) => {
    const errors = watchConsole(page);
    await page.goto(`/?backend=${backend}&model=gpt2-tiny`);
    await waitReady(page);
    await expect(page.getByTestId('backend')).toHaveText(new RegExp(`^backend: ${backend}( · \\d+ threads)?$`));
    const ratios = await parity(page);
    for (const [k, v] of Object.entries(ratios)) expect(v, `${backend} ${k}`).toBeLessThanOrEqual(1);
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
    expect(errors).toEqual([]);
  });
}

test('wasm and webgpu agree on the default model', async ({ browser }) => {
  const tops: string[][] = [];
  for (const backend of ['wasm', 'webgpu']) {
    const page = await browser.newPage();
    await page.goto(`/?backend=${backend}`);
    await waitReady(page);
    await expect(page.getByTestId('prediction-list').locator('li')).toHaveCount(10);
    tops.push(await page.getByTestId('prediction-list').locator('li').evaluateAll((els) => els.map((e) => e.getAttribute('data-token-id') ?? '')));
    await page.close();
  }
  expect(tops[0].slice(0, 5)).toEqual(tops[1].slice(0, 5));
});

test('a newer keyed request supersedes an older one (AbortError); unkeyed ones never are; topK and tokenize answer', async ({ page }) => {
  const errors = watchConsole(page);
  await page.goto('/?backend=wasm&model=gpt2-tiny');
  await waitReady(page);
  const r = await page.evaluate(async () => {
    const eng = (globalThis as any).__pathlight.engine;
    const outcome = (p: Promise<unknown>) => p.then(() => 'resolved', (e: Error) => e.name);
    const ids = [3, 77, 400, 12];
    const older = outcome(eng.predict('k', { ids, k: 5 }));
    const newer = outcome(eng.predict('k', { ids: [...ids, 9], k: 5 }));
    const other = outcome(eng.predict('other-key', { ids, k: 5 }));
    const a = outcome(eng.run(null, { inputIds: [ids], logits: 'last' }));
    const b = outcome(eng.run(null, { inputIds: [ids], logits: 'last' }));
    const top = await eng.topK(ids, 3);
    const tok = await eng.tokenize('The cat');
    return { older: await older, newer: await newer, other: await other, a: await a, b: await b, top, tok };
  });
  expect(r.older).toBe('AbortError');
  expect(r.newer).toBe('resolved');
  expect(r.other).toBe('resolved');
  expect([r.a, r.b]).toEqual(['resolved', 'resolved']);
  expect(r.top).toHaveLength(3);
  expect(r.top[0].prob).toBeGreaterThanOrEqual(r.top[1].prob);
  expect(r.tok.ids.length).toBe(r.tok.tokens.length);
  expect(r.tok.tokens.join('')).toBe('The cat');
  expect(errors).toEqual([]);
});
