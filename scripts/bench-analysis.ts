/**
 * Speed of the analyses on the bundled models, on WASM in Node, written to docs/benchmarks.md (section
 * "Attribution"). Figures, not tests: nothing is asserted; the targets are reported as met or not.
 *   npx tsx scripts/bench-analysis.ts [--models=polyglot,induction] [--reps=7] [--tokens=64] [--backend=wasm] [--no-write]
 * Each figure is the median of `reps` runs after one warm-up run.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { attribute } from '../src/analysis/attribution';
import { findPath } from '../src/analysis/path';
import { initBackend, type BackendName } from '../src/engine/backend';
import { loadModelDir } from '../src/engine/node-load';
import { runModel } from '../src/engine/run';
import type { Target } from '../src/engine/types';
import { inductionSequence } from '../src/train/induction-data';
import { Rng } from '../src/train/rng';
import { writeSection } from './bench-doc';

const argv = process.argv.slice(2);
const arg = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
const reps = Number(arg('reps') ?? 7);
const tokens = Number(arg('tokens') ?? 64);
const backend = (arg('backend') ?? 'wasm') as BackendName;
const names = (arg('models') ?? 'polyglot,induction').split(',');
tf.env().set('PROD', true);
const used = await initBackend(backend);
if (used !== backend) throw new Error(`backend ${backend} could not be started`);

async function median(fn: () => Promise<unknown>): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  ts.sort((a, b) => a - b);
  return ts[Math.floor(ts.length / 2)];
}

/** A prompt of T tokens the model was trained on: held-out text for text models, a repeated span for induction. */
function promptFor(name: string, encode: ((s: string) => number[]) | null, V: number, T: number): number[] {
  if (name === 'induction') return inductionSequence(new Rng(7), T + 1, Math.min(V, 64)).ids.slice(0, T);
  const text = 'The quick brown fox jumps over the lazy dog; der schnelle braune Fuchs springt über den faulen Hund. El zorro marrón rápido salta sobre el perro perezoso.';
  const ids = encode ? encode(text) : Array.from({ length: T }, (_, i) => (i * 7919 + 13) % V);
  while (ids.length < T) ids.push(...ids);
  return ids.slice(0, T);
}

const rows: string[] = [];
const notes: string[] = [];
for (const name of names) {
  if (!existsSync(`public/models/${name}/config.json`)) {
    notes.push(`- ${name}: not bundled (public/models/${name}/config.json missing) when measured; skipped.`);
    continue;
  }
  const model = await loadModelDir(name);
  const cfg = model.config;
  const T = Math.min(tokens, cfg.nCtx);
  const ids = promptFor(name, model.tokenizer ? (s) => model.tokenizer!.encode(s) : null, cfg.vocabSize, T);
  const last = await runModel(model, { inputIds: [ids], logits: 'last' });
  let top = 0;
  for (let v = 1; v < cfg.vocabSize; v++) if (last.logits!.data[v] > last.logits!.data[top]) top = v;
  const target: Target = { kind: 'logit', token: top };
  const fwd = await median(() => runModel(model, { inputIds: [ids], logits: 'last' }));
  const gxa = await median(() => attribute(model, { ids, target, method: 'gxa' }));
  const ig = await median(() => attribute(model, { ids, target, method: 'ig', steps: 20, layer: 0, kinds: ['neuron'] }));
  const path = await median(() => findPath(model, { ids, target, steps: 20 }));
  const beam = await median(() => findPath(model, { ids, target, steps: 20, beam: 3 }));
  const ablate = await median(() => attribute(model, { ids, target, method: 'ablate', kinds: ['neuron', 'head'] }));
  const x = (ms: number) => `${ms.toFixed(ms < 10 ? 1 : 0)} (${(ms / fwd).toFixed(1)}×)`;
  rows.push(
    `| ${name} (${cfg.nLayer}L, d_model ${cfg.dModel}, d_mlp ${cfg.dMlp}) | ${T} | ${fwd.toFixed(1)} | ${x(gxa)} | ${x(ig)} | ${x(path)} | ${x(beam)} | ${x(ablate)} | ${gxa <= 3 * fwd ? 'met' : 'missed'} / ${path < 2000 ? 'met' : 'missed'} |`,
  );
  console.error(`${name}: done`);
  model.dispose();
}

const table = [
  '| model | tokens | forward (ms) | grad × act, every neuron and head | IG of layer 0, m = 20 | path search, m = 20 | path search, beam 3 | exact ablation, every neuron and head | targets: gxa ≤ 3× forward / path < 2 s |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
const text = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${backend.toUpperCase()} in Node ${process.version}, tfjs ${tf.version.tfjs}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'} shared with other work (load average ${loadavg()[0].toFixed(1)} at the end), with \`npx tsx scripts/bench-analysis.ts${argv.length ? ' ' + argv.join(' ') : ''}\`. Milliseconds, median of ${reps} runs after a warm-up; in brackets, the multiple of one forward pass (the same prompt, last-position logits, no captures). The target is the model's top-1 next token at the last position; nodes are attributed and scaled there.`,
  '',
  table,
  '',
  '- grad × act: one forward and one backward pass with every MLP neuron and attention head captured (`attribute --method gxa`).',
  '- IG and path search run on suffix runs (`src/analysis/suffix.ts`): an edit at the target position changes only that position, so each of the m scaled copies recomputes one position from the first edited layer on, with the clean keys and values of the earlier positions. A path search is one clean run, L joint-IG batches (NeuronPath), one batch for the per-layer IG baseline and one for the edges.',
  '- Exact ablation: one edited copy per node (d_mlp + heads per layer), batched 64 at a time, on suffix runs too.',
  ...notes,
].join('\n');
console.log(text);
if (!argv.includes('--no-write')) writeSection('docs/benchmarks.md', 'Attribution', text);
