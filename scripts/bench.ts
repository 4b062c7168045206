/**
 * `npm run bench`: engine speed and memory per backend in Node, written to docs/benchmarks.md (section
 * "Engine"). Not a test: figures are reported, never asserted.
 *   npm run bench -- [--backends cpu,wasm,webgpu] [--quick] [--no-torch]
 *   npm run bench -- --only=interactive   (the workbench in the browser: scripts/bench-interactive.ts)
 * Then, unless --no-torch or --quick, Pathlight beside PyTorch CPU at GPT-2-small and Pythia-70m size
 * (scripts/bench-torch.ts, section "Beside PyTorch").
 */
import * as tf from '@tensorflow/tfjs';
import { cpus, loadavg, totalmem } from 'node:os';
import { existsSync } from 'node:fs';
import { initBackend, type BackendName } from '../src/engine/backend';
import { randomModel } from '../src/engine/init';
import type { Model } from '../src/engine/model';
import { loadModelDir } from '../src/engine/node-load';
import { allHooks } from '../src/engine/hooks';
import { runModel } from '../src/engine/run';
import type { ModelConfig } from '../src/engine/types';
import { prepareNodeWebGpu } from '../src/cli/node-webgpu';
import { writeSection } from './bench-doc';
import { benchBesideTorch } from './bench-torch';
import { gpt2Config as gpt2Defaults } from '../src/engine/arch/gpt2';

const argv = process.argv.slice(2);
// `npm run bench -- --only=interactive`: the workbench's typing and edit latencies in the browser (scripts/bench-interactive.ts).
if (argv.includes('--only=interactive')) {
  await import('./bench-interactive');
  process.exit(0);
}
const quick = argv.includes('--quick');
const backendArg = argv.find((a) => a.startsWith('--backends='))?.split('=')[1] ?? 'cpu,wasm,webgpu';
const backends = backendArg.split(',') as BackendName[];

async function time(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn(); // warm-up: kernels compiled, caches filled
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

function gpt2Config(over: Partial<ModelConfig>): ModelConfig {
  return gpt2Defaults({ nLayer: 12, nHead: 12, dModel: 768, dMlp: 3072, vocabSize: 50257, nCtx: 1024, ...over });
}

/** Multiply-adds ×2 of one forward over T tokens (matmuls only; the dominant cost). */
function forwardFlops(c: ModelConfig, T: number): number {
  const perLayer = 2 * T * (c.dModel * 3 * c.dModel + c.dModel * c.dModel + 2 * c.dModel * c.dMlp) + 2 * 2 * T * T * c.dModel;
  return c.nLayer * perLayer + 2 * T * c.dModel * c.vocabSize;
}

function ids(T: number, V: number): number[] {
  return Array.from({ length: T }, (_, i) => (i * 7919 + 13) % V);
}

tf.env().set('PROD', true);
const rows: string[] = [];
const notes: string[] = [];
for (const b of backends) {
  if (b === 'webgpu') await prepareNodeWebGpu();
  const warn = console.warn;
  console.warn = () => {};
  const used = await initBackend(b).catch(() => null);
  console.warn = warn;
  if (used !== b) {
    notes.push(`- ${b}: could not be started in Node here; skipped.`);
    continue;
  }
  const reps = b === 'cpu' || b === 'webgpu' ? 2 : quick ? 3 : 10;
  // 512³ matmul
  const a = tf.randomNormal([512, 512]);
  const c = tf.randomNormal([512, 512]);
  const mmMs = await time(async () => {
    const r = tf.matMul(a, c);
    await r.data();
    r.dispose();
  }, reps);
  a.dispose();
  c.dispose();
  const mmGflops = (2 * 512 ** 3) / mmMs / 1e6;

  const models: Array<{ label: string; model: Model; T: number }> = [];
  models.push({ label: 'gpt2-tiny fixture (2L, 64 wide)', model: await loadModelDir('gpt2-tiny'), T: 64 });
  const bundled = ['polyglot', 'induction'].filter((n) => existsSync(`public/models/${n}/config.json`));
  for (const n of bundled) {
    const m = await loadModelDir(n);
    models.push({ label: `${n} (bundled, ${(m.paramCount / 1e6).toFixed(2)}M params)`, model: m, T: Math.min(128, m.config.nCtx) });
  }
  if (bundled.length === 0) {
    const cfg = gpt2Config({ nLayer: 4, nHead: 4, dModel: 128, dMlp: 512, vocabSize: 128, nCtx: 128 });
    models.push({ label: 'bundled-size random (4L, 128 wide, 0.8M params)', model: randomModel(cfg, 1), T: 128 });
  }
  for (const { label, model, T } of models) {
    const x = ids(T, model.config.vocabSize);
    const capture = allHooks(model.config);
    const fwd = await time(() => runModel(model, { inputIds: [x], logits: 'last' }), reps);
    const fwdAll = await time(() => runModel(model, { inputIds: [x], capture }), reps);
    const grad = await time(
      () => runModel(model, { inputIds: [x], capture: capture.filter((h) => h !== 'logits'), target: { kind: 'logit', token: 1 }, logits: 'none' }),
      reps,
    );
    rows.push(`| ${b} | ${label} | ${T} | ${fwd.toFixed(1)} | ${fwdAll.toFixed(1)} | ${grad.toFixed(1)} | ${(grad / fwdAll).toFixed(2)}× | ${((T * 1000) / fwd).toFixed(0)} | | |`);
    model.dispose();
  }
  if (!quick) {
    const bytesBefore = tf.memory().numBytes;
    const cfg = gpt2Config({});
    const model = randomModel(cfg, 2, 'gpt2-small-shaped');
    const weightBytes = model.paramCount * 4;
    const memRatio = (tf.memory().numBytes - bytesBefore) / weightBytes;
    const T = 128;
    const x = ids(T, cfg.vocabSize);
    const fwd = await time(() => runModel(model, { inputIds: [x], logits: 'last' }), b === 'wasm' ? 3 : 1);
    // 'last' logits: the unembedding runs on one row, so count only that row.
    const flops = forwardFlops(cfg, T) - 2 * (T - 1) * cfg.dModel * cfg.vocabSize;
    const gflops = flops / fwd / 1e6;
    rows.push(`| ${b} | GPT-2-small-shaped random (12L, 768 wide, 50257 vocab) | ${T} | ${fwd.toFixed(0)} | | | | ${((T * 1000) / fwd).toFixed(0)} | ${gflops.toFixed(1)} GFLOP/s = ${((100 * gflops) / mmGflops).toFixed(0)}% of matmul | ${memRatio.toFixed(2)}× |`);
    model.dispose();
  }
  notes.push(`- ${b}: 512³ matmul ${mmMs.toFixed(1)} ms = ${mmGflops.toFixed(1)} GFLOP/s.`);
}

const table = [
  '| backend | model | tokens | forward (ms) | forward, every hook captured (ms) | gradient run, every hook (ms) | gradient ÷ captured forward | tokens/s | effective GFLOP/s | tensor memory ÷ weights |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
const text = [
  `Load average when it started: ${loadavg()[0].toFixed(1)} on ${cpus().length} cores (other processes share the machine; figures under load are slower). Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, Node ${process.version}, tfjs ${tf.version.tfjs}, with \`npm run bench${argv.length ? ' -- ' + argv.join(' ') : ''}\`. Median of repeated runs after a warm-up.`,
  '',
  table,
  '',
  ...notes,
].join('\n');
console.log(text);
writeSection('docs/benchmarks.md', 'Engine', text);

if (!quick && !argv.includes('--no-torch')) {
  const beside = await benchBesideTorch({ backends: backends.filter((b) => b !== 'webgpu' || rows.some((r) => r.startsWith('| webgpu'))), reps: 5, models: ['gpt2-small', 'pythia-70m'] });
  console.log(beside);
  writeSection('docs/benchmarks.md', 'Beside PyTorch', beside);
}
