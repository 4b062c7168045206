/**
 * UI speed benchmark (not a test): `npm run build && npx tsx scripts/bench-ui.ts [--backend=wasm] [--model=polyglot]`.
 * Serves the production build (vite preview), drives Debian's Chromium with Playwright and measures:
 *  - first meaningful screen: navigation → model ready and predictions shown (second load, warm cache);
 *  - edit → updated predictions: time from adding an edit to the edited prediction list changing (p50/p95);
 *  - long main-thread tasks (PerformanceObserver 'longtask') while a path search runs.
 * Writes the "Workbench UI" section of docs/benchmarks.md.
 */
import { spawn } from 'node:child_process';
import { chromium } from '@playwright/test';
import { writeSection } from './bench-doc';

const argv = process.argv.slice(2);
const arg = (k: string, d: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d;
const backend = arg('backend', 'wasm');
const model = arg('model', 'polyglot');
const PORT = 4188;

const server = spawn('npx', ['vite', 'preview', '--port', String(PORT), '--strictPort'], { stdio: 'ignore' });
await new Promise((r) => setTimeout(r, 2500));
const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--enable-unsafe-webgpu'],
});
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  const url = `http://127.0.0.1:${PORT}/?backend=${backend}&model=${model}`;
  await page.goto(url);
  await page.waitForSelector('[data-testid=prediction-list] li');
  // Warm cache: load again and time navigation → predictions.
  const t0 = Date.now();
  await page.goto(url);
  await page.waitForSelector('body[data-state=ready]');
  await page.waitForSelector('[data-testid=prediction-list] li');
  const firstScreen = Date.now() - t0;

  // Long tasks on the main thread from here on.
  await page.evaluate(`(() => {
    window.__long = [];
    new PerformanceObserver((l) => l.getEntries().forEach((e) => window.__long.push(e.duration))).observe({ type: 'longtask', buffered: false });
  })()`);

  // Edit → updated predictions, measured in the page: add a scale edit on a neuron, wait for the edited list to change.
  // Page code as a string: tsx would otherwise inject helpers (__name) that do not exist in the page.
  const latencies: number[] = await page.evaluate(`(async () => {
    const api = window.__pathlight;
    const st = api.state();
    const layers = st.model.config.nLayer;
    const out = [];
    for (let i = 0; i < 25; i++) {
      const before = document.querySelector('[data-testid=prediction-list-edited]')?.textContent ?? '';
      const t = performance.now();
      api.clearEdits();
      api.addEdit({ hook: 'blocks.' + (i % layers) + '.mlp.hook_post', index: (i * 37) % st.model.config.dMlp, op: 'scale', value: -4 - i, positions: null });
      await new Promise((resolve) => {
        const check = () => {
          const now = document.querySelector('[data-testid=prediction-list-edited]')?.textContent ?? '';
          if (now && now !== before) resolve();
          else requestAnimationFrame(check);
        };
        check();
      });
      out.push(performance.now() - t);
    }
    return out;
  })()`);
  await page.evaluate('window.__long = []');
  await page.click('[data-testid=run-path]');
  await page.waitForSelector('[data-testid=path-graph] g.node[data-role=path]', { timeout: 300_000 });
  const longTasks: number[] = await page.evaluate('window.__long');
  latencies.sort((a, b) => a - b);
  const q = (p: number) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  const text = [
    `Measured ${new Date().toISOString().slice(0, 10)} with \`npx tsx scripts/bench-ui.ts --backend=${backend} --model=${model}\` (production build, Debian Chromium headless, 1280×800).`,
    '',
    '| measure | figure | target |',
    '| --- | --- | --- |',
    `| first meaningful screen (warm cache: navigation → model ready, predictions shown) | ${firstScreen} ms | < 3000 ms |`,
    `| edit → updated predictions, p50 / p95 over ${latencies.length} edits | ${q(0.5).toFixed(0)} / ${q(0.95).toFixed(0)} ms | p95 < 100 ms |`,
    `| main-thread tasks over 50 ms during a path search | ${longTasks.length}${longTasks.length ? ` (longest ${Math.max(...longTasks).toFixed(0)} ms)` : ''} | 0 |`,
  ].join('\n');
  console.log(text);
  writeSection('docs/benchmarks.md', `Workbench UI (${backend})`, text);
} finally {
  await browser.close();
  server.kill();
}
