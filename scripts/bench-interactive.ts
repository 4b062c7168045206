/**
 * Interactivity benchmark (not a test): `npm run bench -- --only=interactive [--backend=wasm] [--reps=20]
 * [--models=polyglot,gpt2-small] [--measures=typing,edit,engine,path] [--url=http://127.0.0.1:PORT/] [--no-write]`.
 * Drives Debian's Chromium with Playwright on the production build (built into a temporary folder and served with
 * vite preview, so dist/ is left alone; or the running server given by --url) and measures, each time while a
 * continuation is being generated in the worker:
 *  - typing → predictions: one character added to the prompt until the predictions on screen are those of the new
 *    prompt (tokens, clean distribution and the list re-rendered);
 *  - edit → predictions: an edit added until the edited prediction list shows its result.
 * Then the same with the continuation paused (the baseline). On polyglot and on a random GPT-2-small-shaped
 * checkpoint (12 layers, 768 wide, 50257 vocabulary; made here, served from a local HTTP server and opened through
 * the folder-URL field). Writes the "Workbench interactivity" section of docs/benchmarks.md.
 */
import { spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:http';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from '@playwright/test';
import { deepCheckpoint } from '../e2e/deep-model';
import { writeSection } from './bench-doc';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d;
const backend = arg('backend', 'wasm');
const reps = Number(arg('reps', '20'));
const models = arg('models', 'polyglot,gpt2-small').split(',');
const measures = new Set(arg('measures', 'typing,edit,engine,path').split(','));
/** The path-search prompt: 66 characters (66 tokens on polyglot, 26 with gpt2-tiny's BPE tokenizer the GPT-2-small-shaped model uses). */
const PATH_PROMPT = 'The cat sat on the mat and looked out of the window at the rain fa';
const PORT = 4189;
const MODEL_PORT = 4190;
const ROOT = join(import.meta.dirname, '..');

let server: ReturnType<typeof spawn> | null = null;
let outDir: string | null = null;
let base = arg('url', '');
if (!base) {
  outDir = mkdtempSync(join(tmpdir(), 'pathlight-bench-'));
  const b = spawnSync('npx', ['vite', 'build', '--outDir', outDir, '--emptyOutDir'], { cwd: ROOT, stdio: 'inherit' });
  if (b.status !== 0) throw new Error('the production build failed');
  // Its own process group, so the preview server (npx's grandchild) is stopped with it.
  server = spawn('npx', ['vite', 'preview', '--outDir', outDir, '--port', String(PORT), '--strictPort'], { cwd: ROOT, stdio: 'ignore', detached: true });
  base = `http://127.0.0.1:${PORT}/`;
  // Also when the run dies on an error: no preview server is left holding the port.
  process.on('exit', () => {
    try {
      if (server?.pid) process.kill(-server.pid, 'SIGTERM');
    } catch {
      // already stopped
    }
  });
  for (let i = 0; i < 60; i++) {
    if (await fetch(base).then((r) => r.ok, () => false)) break;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** p50 and p95 of a sample (nearest rank). */
function quantiles(xs: number[]): { p50: number; p95: number; n: number } {
  const s = [...xs].sort((a, b) => a - b);
  const q = (p: number) => s[Math.min(s.length - 1, Math.ceil(p * s.length) - 1)];
  return { p50: q(0.5), p95: q(0.95), n: s.length };
}

/**
 * Serves a random GPT-2-small-shaped checkpoint (with gpt2-tiny's byte-level tokenizer) from a local HTTP server
 * (page.route cannot carry a 500 MB body), with the CORS and CORP headers a cross-origin-isolated page needs.
 */
async function serveGpt2Small(): Promise<{ url: string; close: () => void }> {
  const { config, weights } = deepCheckpoint(12, 12, 768, 50257, 1024);
  const tokenizer = readFileSync(join(ROOT, 'public', 'models', 'gpt2-tiny', 'tokenizer.json'));
  const files: Record<string, Uint8Array | string> = { 'config.json': config, 'tokenizer.json': tokenizer, 'model.safetensors': weights };
  const srv = createServer((req, res) => {
    const file = (req.url ?? '').split('?')[0].split('/').pop() ?? '';
    const body = files[file];
    res.setHeader('Access-Control-Allow-Origin', '*');
    res.setHeader('Cross-Origin-Resource-Policy', 'cross-origin');
    if (body === undefined) {
      res.statusCode = 404;
      res.end('not found');
      return;
    }
    res.setHeader('Content-Length', typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
    res.end(body);
  });
  await new Promise<void>((r) => srv.listen(MODEL_PORT, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${MODEL_PORT}/gpt2-small/`, close: () => srv.close() };
}

/**
 * In the page (as a string: tsx would inject helpers the page lacks): `reps` times, wait for a continuation in
 * flight, then add a character (typing) or an edit and time until the predictions on screen show the result.
 */
const MEASURE = `async ({ reps, kind, idle }) => {
  const api = window.__pathlight;
  const el = document.querySelector('[data-testid=prompt-input]');
  const setValue = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value').set;
  const frame = () => new Promise((r) => requestAnimationFrame(() => r()));
  const until = async (ok, what) => {
    const t0 = performance.now();
    while (!ok()) {
      if (performance.now() - t0 > 120000) throw new Error('timed out waiting for ' + what);
      await frame();
    }
  };
  const running = () => document.querySelector('[data-testid=generation-progress]') !== null;
  const out = [];
  const cfg = api.state().model.config;
  for (let i = 0; i < reps; i++) {
    if (!idle) await until(running, 'a continuation in flight');
    const before = document.querySelector(kind === 'edit' ? '[data-testid=prediction-list-edited]' : '[data-testid=prediction-list]')?.textContent ?? '';
    const t = performance.now();
    if (kind === 'typing') {
      const next = el.value + 'abcdefghij'[i % 10];
      setValue.call(el, next);
      el.dispatchEvent(new Event('input', { bubbles: true }));
      await until(() => {
        const s = api.state();
        return s.tokensPrompt === next && s.clean !== null && !s.predicting;
      }, 'the predictions of the new prompt');
      await frame();
      if (next.length > 24) {
        setValue.call(el, 'The cat ');
        el.dispatchEvent(new Event('input', { bubbles: true }));
      }
    } else {
      api.clearEdits();
      api.addEdit({ hook: 'blocks.' + (i % cfg.nLayer) + '.mlp.hook_post', index: (i * 37) % cfg.dMlp, op: 'scale', value: -4 - i, positions: null });
      await until(() => {
        const now = document.querySelector('[data-testid=prediction-list-edited]')?.textContent ?? '';
        return now !== '' && now !== before;
      }, 'the edited predictions');
    }
    out.push(performance.now() - t);
    // Let the continuation restart (it is debounced) before the next one.
    await new Promise((r) => setTimeout(r, 400));
  }
  api.clearEdits();
  return out;
}`;

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const rows: string[] = [];
const pathRows: string[] = [];
const engineRows: string[] = [];
const loadBefore = loadavg()[0];
try {
  for (const m of models) {
    const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') console.error(`[page ${m.type()}] ${m.text()}`);
    });
    await page.goto(`${base}?backend=${backend}&model=${m === 'gpt2-small' ? 'gpt2-tiny' : m}`);
    await page.waitForSelector('body[data-state=ready]', { timeout: 600_000 });
    let served: { url: string; close: () => void } | null = null;
    if (m === 'gpt2-small') {
      // Typed into the folder-URL field (as a user would): loads from the local server.
      served = await serveGpt2Small();
      await page.getByTestId('model-url').fill(served.url);
      await page.getByTestId('model-url').press('Enter');
      await page.waitForSelector('[data-testid=model-info]:has-text("12 layers")', { timeout: 900_000 });
      await page.waitForSelector('body[data-state=ready]', { timeout: 600_000 });
    }
    await page.getByTestId('prompt-input').fill('The cat ');
    await page.waitForSelector('[data-testid=prediction-list] li', { timeout: 120_000 });
    // A long continuation, so one is always being generated while the measures run.
    await page.getByTestId('generation-max-tokens').fill('256');
    const label = m === 'gpt2-small' ? 'GPT-2-small-shaped random (12L, 768 wide, 50257 vocab)' : m;
    // With a continuation running, then (the same page, the continuation paused) without one, as the baseline.
    for (const idle of [false, true]) {
      if (idle) await page.getByTestId('generation-pause').click();
      for (const kind of ['typing', 'edit'] as const) {
        if (!measures.has(kind)) continue;
        const xs: number[] = await page.evaluate(`(${MEASURE})(${JSON.stringify({ reps, kind, idle })})`);
        const q = quantiles(xs);
        rows.push(`| ${label} | ${kind === 'typing' ? 'typing → predictions' : 'edit → predictions'} | ${idle ? 'paused' : 'running'} | ${q.n} | ${q.p50.toFixed(0)} | ${q.p95.toFixed(0)} |`);
        console.error(rows[rows.length - 1]);
      }
    }
    if (measures.has('engine')) {
      // The worker alone, from the page (no rendering): a prediction of a new prompt (its clean run kept), of the
      // same prompt again, an edit of one MLP layer at every position by layer (a suffix run from that layer), and
      // a whole forward pass with the same edit for comparison. Continuation paused. Medians of 5, ms.
      const r: Record<string, number> = await page.evaluate(`(async () => {
        const eng = window.__pathlight.engine;
        const cfg = window.__pathlight.state().model.config;
        const med = (xs) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
        const time = async (f) => { const xs = []; for (let i = 0; i < 5; i++) { const t = performance.now(); await f(i); xs.push(performance.now() - t); } return med(xs); };
        const ids = Array.from({ length: 24 }, (_, i) => (i * 37 + 5) % cfg.vocabSize);
        const out = {};
        out['clean, new prompt'] = await time((i) => eng.predict(null, { ids: ids.map((x, j) => (j === 23 ? (x + i + 1) % cfg.vocabSize : x)), k: 10 }));
        out['clean, same prompt'] = await time(() => eng.predict(null, { ids, k: 10 }));
        for (const l of [0, Math.floor(cfg.nLayer / 2), cfg.nLayer - 1]) {
          const e = (i) => [{ hook: 'blocks.' + l + '.mlp.hook_post', index: i, op: 'scale', value: -3, positions: null }];
          out['edited, layer ' + l + ', every position'] = await time((i) => eng.predict(null, { ids, k: 10, edits: e(i) }));
          out['edited, layer ' + l + ', last position'] = await time((i) => eng.predict(null, { ids, k: 10, edits: [{ ...e(i)[0], positions: [23] }] }));
          out['whole run with the edit, layer ' + l] = await time((i) => eng.run(null, { inputIds: [ids], edits: e(i), logits: 'last' }));
        }
        return out;
      })()`);
      for (const [k, v] of Object.entries(r)) {
        engineRows.push(`| ${label} | ${k} | ${v.toFixed(0)} |`);
        console.error(engineRows[engineRows.length - 1]);
      }
    }
    if (measures.has('path')) {
      // Path search (NeuronPath, m = 20, the target position) on a 64-token prompt, the continuation paused: from
      // the click on Run until the path's nodes are drawn.
      await page.getByTestId('prompt-input').fill(PATH_PROMPT);
      await page.waitForFunction((p) => {
        const s = (window as unknown as { __pathlight: { state(): { tokensPrompt: string; clean: unknown; predicting: boolean } } }).__pathlight.state();
        return s.tokensPrompt === p && s.clean !== null && !s.predicting;
      }, PATH_PROMPT, { timeout: 120_000 });
      const threads = await page.getByTestId('backend').innerText();
      for (let i = 0; i < 2; i++) {
        const t0 = Date.now();
        await page.getByTestId('run-path').click();
        await page.waitForFunction(() => {
          const s = (window as unknown as { __pathlight: { state(): { running: boolean; path: unknown; analysisError: string | null } } }).__pathlight.state();
          return !s.running && (s.path !== null || s.analysisError !== null);
        }, undefined, { timeout: 900_000, polling: 200 });
        const err = await page.evaluate(() => (window as unknown as { __pathlight: { state(): { analysisError: string | null } } }).__pathlight.state().analysisError);
        if (err) throw new Error(`the path search failed: ${err}`);
        const tokens = await page.evaluate(() => (window as unknown as { __pathlight: { state(): { tokens: { ids: number[] } | null } } }).__pathlight.state().tokens?.ids.length ?? 0);
        pathRows.push(`| ${label} | ${tokens} | ${threads.replace(/^backend: /, '')} | ${i + 1} | ${((Date.now() - t0) / 1000).toFixed(1)} |`);
        console.error(pathRows[pathRows.length - 1]);
      }
    }
    await page.close();
    served?.close();
  }
} finally {
  await browser.close();
  if (server?.pid) process.kill(-server.pid, 'SIGTERM');
  server = null;
  if (outDir) rmSync(outDir, { recursive: true, force: true });
}

const loadAfter = loadavg()[0];
if (!argv.includes('--no-write')) writeSection(
  join(ROOT, 'docs', 'benchmarks.md'),
  `Workbench interactivity (${backend}): typing and edits with a continuation running and paused`,
  [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npm run bench -- --only=interactive --backend=${backend}\` (${base.includes(String(PORT)) ? 'production build, vite preview' : base}; Debian Chromium headless, 1280×800; two CPU cores shared with other work: 1-minute load average ${loadBefore.toFixed(1)} at the start, ${loadAfter.toFixed(1)} at the end, so the p95 figures carry that noise). Each figure marked *running* is taken while the worker generates a 256-token continuation (clean and edited); *paused* is the same page with the continuation paused, the baseline. Typing → predictions is one character added to the prompt until the predictions of the new prompt are on screen (the 60 ms typing debounce included); edit → predictions is an edit added until the edited list shows it. Milliseconds.`,
    '',
    '| model | measure | continuation | n | p50 | p95 |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    ...(engineRows.length ? ['', 'The worker alone (predictions asked from the page, nothing rendered; 24 tokens; continuation paused; median of 5, ms):', '', '| model | request | ms |', '| --- | --- | --- |', ...engineRows] : []),
    ...(pathRows.length ? ['', 'Path search (NeuronPath, m = 20 integrated-gradient steps, beam 1, at the target position; the continuation paused), from the click on Run until the path is drawn, seconds:', '', '| model | tokens | backend | run | seconds |', '| --- | --- | --- | --- | --- |', ...pathRows] : []),
  ].join('\n'),
);
console.log(rows.join('\n'));
