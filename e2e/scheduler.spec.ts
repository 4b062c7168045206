import { expect, test, type Page } from '@playwright/test';
import { serveDeepModel } from './deep-model';
import { waitReady } from './helpers';

/** A 12-layer model: on the slow CPU backend a continuation takes many seconds; on WASM a long path search does. */
async function open(page: Page, backend: 'cpu' | 'wasm') {
  const url = await serveDeepModel(page, 'deep12s', 12, 12, 96);
  await page.goto(`/?backend=${backend}&modelUrl=${encodeURIComponent(url)}`);
  await waitReady(page);
  await expect(page.getByTestId('model-info')).toContainText('12 layers');
}

test('predictions come first: a prediction asked for during a long continuation answers while it still runs', async ({ page }) => {
  await open(page, 'cpu');
  const r = await page.evaluate(async () => {
    const eng = (globalThis as any).__pathlight.engine;
    const ids = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % 512);
    let genDone = 0;
    const gen = eng.generate('bench-gen', { ids, edits: [], maxTokens: 300, sampling: null }).then(
      () => (genDone = performance.now()),
      () => (genDone = performance.now()),
    );
    await new Promise((res) => setTimeout(res, 800));
    const t0 = performance.now();
    await eng.predict('bench-predict', { ids: [...ids, 7], k: 10 });
    const t1 = performance.now();
    const stillRunning = genDone === 0;
    await eng.cancel('bench-gen');
    await gen;
    return { predictMs: t1 - t0, stillRunning };
  });
  expect(r.stillRunning).toBe(true);
  expect(r.predictMs).toBeLessThan(3000);
});

// On WASM, the backend the page chooses without a GPU. (On the CPU backend one step of this search, a single
// sequence, has taken 150-350 ms on this machine under load: Cancel waits at most one step, which no batch rule
// can make shorter than a sequence.)
test('Cancel stops a long path search within 250 ms of work', async ({ page }) => {
  await open(page, 'wasm');
  const r = await page.evaluate(async () => {
    const eng = (globalThis as any).__pathlight.engine;
    const ids = Array.from({ length: 40 }, (_, i) => (i * 11 + 3) % 512);
    let rejectedAt = 0;
    let resolved = false;
    const run = eng.path('bench-path', { ids, target: { kind: 'logit', token: 5 }, steps: 128, beam: 3 }).then(
      () => (resolved = true),
      () => (rejectedAt = performance.now()),
    );
    await new Promise((res) => setTimeout(res, 1500));
    const t0 = performance.now();
    await eng.cancel('bench-path');
    await run;
    return { afterCancelMs: rejectedAt - t0, resolved };
  });
  test.info().annotations.push({ type: 'work after Cancel', description: `${r.afterCancelMs.toFixed(0)} ms` });
  expect(r.resolved).toBe(false);
  expect(r.afterCancelMs).toBeLessThan(250);
});
