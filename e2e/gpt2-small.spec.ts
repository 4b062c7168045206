import { expect, test, type Locator } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gpt2Shapes } from '../src/engine/arch/gpt2';
import { parseConfig } from '../src/engine/config';
import { encodeSafetensors, type NamedTensor } from '../src/engine/safetensors-write';
import { OWNER, startHubServer, type Files, type HubServer } from '../test/hub/hub-server';
import { waitReady, watchConsole } from './helpers';

/**
 * A GPT-2-small-shaped checkpoint (12 layers, 768 wide, 50,257 vocabulary, 124M parameters, 498 MB), generated
 * here with random weights (nothing committed), opened by name from the local hub stand-in: a path search and an
 * edit run on it while the page stays responsive — no main-thread task over 50 ms from the moment the model is
 * ready (the engine works in its worker; the page only draws).
 */
const HF_CONFIG = { model_type: 'gpt2', architectures: ['GPT2LMHeadModel'], n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, n_ctx: 1024, vocab_size: 50257, layer_norm_epsilon: 1e-5, activation_function: 'gelu_new' };

function gpt2SmallFiles(): Files {
  const cfg = parseConfig(HF_CONFIG);
  let s = 0x9e3779b9;
  const tensors: NamedTensor[] = gpt2Shapes(cfg).map(([name, shape]) => {
    const n = shape.reduce((a, b) => a * b, 1);
    const data = new Float32Array(n);
    if (/ln_\d\.weight$|ln_f\.weight$/.test(name)) data.fill(1);
    else if (!name.endsWith('.bias')) {
      // GPT-2's initialisation scale: uniform with standard deviation 0.02 (xorshift32, seeded).
      const std = /c_proj\.weight$/.test(name) ? 0.02 / Math.sqrt(24) : 0.02;
      const a = std * Math.sqrt(3);
      for (let i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >>> 17;
        s ^= s << 5;
        data[i] = ((s >>> 0) / 4294967296 - 0.5) * 2 * a;
      }
    }
    return { name, shape, data };
  });
  return {
    'config.json': Buffer.from(JSON.stringify(HF_CONFIG)),
    'model.safetensors': Buffer.from(encodeSafetensors(tensors)),
    // The fixture's byte-level tokenizer: its ids (< 400) are valid in the larger vocabulary.
    'tokenizer.json': readFileSync(join(import.meta.dirname, '..', 'public', 'models', 'gpt2-tiny', 'tokenizer.json')),
  };
}

let server: HubServer;
test.beforeAll(async () => {
  server = await startHubServer({ extra: { 'gpt2-small-random': gpt2SmallFiles() } });
});
test.afterAll(async () => {
  await server?.close();
});

// The 50 ms bar is timing on a shared 2-core machine: it held in 5 of 6 runs here (2026-12-03); one retry, so a
// single stray task (a GC pause, a neighbour's load) does not fail the suite, while a page that draws in long tasks
// still does.
test.describe.configure({ retries: 1 });

test('a GPT-2-small-shaped model opened by name: path search and an edit, the page responsive throughout (no main-thread task over 50 ms)', async ({ page }) => {
  test.setTimeout(900_000);
  const errors = watchConsole(page);
  // Long tasks of the page's main thread, as the browser reports them (PerformanceObserver "longtask", > 50 ms).
  await page.addInitScript(() => {
    const w = window as unknown as { __longTasks: Array<{ start: number; ms: number }> };
    w.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) w.__longTasks.push({ start: e.startTime, ms: e.duration });
    }).observe({ type: 'longtask', buffered: true });
    // Long animation frames name the scripts that ran in them (for the report when a task is too long).
    const f = window as unknown as { __frames: unknown[] };
    f.__frames = [];
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries() as unknown as Array<{ startTime: number; duration: number; scripts?: Array<{ invoker?: string; sourceFunctionName?: string; sourceURL?: string; duration: number }> }>) {
          if (e.duration > 50) f.__frames.push({ start: Math.round(e.startTime), ms: Math.round(e.duration), scripts: (e.scripts ?? []).map((x) => `${x.invoker ?? ''} ${x.sourceFunctionName ?? ''} ${Math.round(x.duration)}ms`) });
        }
      }).observe({ type: 'long-animation-frame', buffered: true });
    } catch {
      // not supported here
    }
  });
  await page.goto(`/?model=gpt2-tiny&hfEndpoint=${encodeURIComponent(server.endpoint)}`);
  await waitReady(page);
  const panel = page.getByTestId('hub-panel');
  if ((await panel.getAttribute('open')) === null) await panel.locator('summary').click();
  await page.getByTestId('hub-endpoint').fill(server.endpoint);
  await page.getByTestId('hub-endpoint-save').click();
  await page.getByTestId('hub-name').fill(`${OWNER}/gpt2-small-random`);
  await page.getByTestId('hub-open').click();
  await expect(page.getByTestId('load-progress')).toContainText(/downloading model\.safetensors/, { timeout: 60_000 });
  // Loading 498 MB: say what the page shows meanwhile (a failure then names where it stopped).
  const shown = async () => `${await page.getByTestId('model-info').innerText()} | ${await page.getByTestId('load-progress').allInnerTexts()} | ${await page.getByTestId('error').allInnerTexts()}`;
  await expect
    .poll(async () => {
      const s = await shown();
      console.log(`loading: ${s}`);
      return s;
    }, { timeout: 300_000, intervals: [10_000] })
    .toContain(`${OWNER}/gpt2-small-random (gpt2): 12 layers, 768 wide`);
  await waitReady(page);
  const list = page.getByTestId('prediction-list');
  await expect(list.locator('li')).toHaveCount(10, { timeout: 120_000 });
  const now = () => page.evaluate(() => performance.now());
  const since = await now();
  const marks: Array<[string, number]> = [['ready', since]];

  // From here on the test waits by polling the page with one cheap query every 250 ms: Playwright's own retrying
  // expectations snapshot the page's accessibility tree on the main thread at each retry, tasks of tens of ms
  // that are the test's, not the page's.
  // Clicks as a user makes them, by the mouse at the element's centre (measured first): Playwright's click() also
  // checks, inside the page's own event tasks, that the element is the one hit, which is test work the page pays for.
  const clickAt = async (what: string, l: Locator) => {
    await l.scrollIntoViewIfNeeded();
    const b = await l.boundingBox();
    if (!b) throw new Error(`${what} has no box to click`);
    await page.mouse.click(b.x + b.width / 2, b.y + b.height / 2);
  };
  const until = (what: string, f: () => unknown, timeout = 120_000) => page.waitForFunction(f, null, { polling: 250, timeout }).catch((e: Error) => {
    throw new Error(`waiting for ${what}: ${e.message}`);
  });
  await page.getByTestId('prompt-input').fill('The cat sat on');
  await until('the predictions', () => document.querySelectorAll('[data-testid=prediction-list] li').length === 10);
  const t0 = Date.now();
  marks.push(['run path', await now()]);
  await clickAt('Run', page.getByTestId('run-path'));
  await until('the path', () => document.querySelector('[data-testid=path-graph] svg:not([aria-busy]) g.node[data-role=path]'), 600_000);
  const pathSeconds = (Date.now() - t0) / 1000;
  const pathNodes = page.locator('[data-testid=path-graph] g.node[data-role=path]');
  expect(await pathNodes.count()).toBe(12);
  marks.push(['path shown', await now()]);
  await clickAt('the last path node', pathNodes.last());
  await until('the neuron card', () => document.querySelector('[data-testid=neuron-card]'));
  marks.push(['card shown', await now()]);
  await clickAt('zero-ablate', page.getByTestId('ablate-zero'));
  marks.push(['ablate clicked', await now()]);
  await until('the edit listed', () => document.querySelectorAll('[data-testid=edits-list] li').length === 1);
  await until('the edited predictions', () =>
    [...document.querySelectorAll<HTMLElement>('[data-testid=prediction-list] li')].some((e) => e.dataset.editedProb !== undefined && Math.abs(Number(e.dataset.editedProb) - Number(e.dataset.prob)) > 1e-9),
  );
  expect(await page.getByTestId('prediction-list-edited').isVisible()).toBe(true);

  marks.push(['edited predictions', await now()]);
  // Each long task with the last step before it, so a failure names the phase.
  const long = (await page.evaluate((since) => (window as unknown as { __longTasks: Array<{ start: number; ms: number }> }).__longTasks.filter((t) => t.start >= since), since)).map((t) => ({
    ...t,
    after: marks.filter(([, at]) => at <= t.start).pop()?.[0],
  }));
  test.info().annotations.push({ type: 'path search', description: `${pathSeconds.toFixed(1)} s` }, { type: 'long tasks', description: JSON.stringify(long) });
  console.log('long animation frames:', JSON.stringify(await page.evaluate(() => (window as unknown as { __frames: unknown[] }).__frames)));
  console.log(`GPT-2-small-shaped: path search ${pathSeconds.toFixed(1)} s in the browser; main-thread tasks over 50 ms since ready: ${long.length}`);
  expect(long, 'main-thread tasks over 50 ms after the model was ready').toEqual([]);
  expect(errors).toEqual([]);
});
