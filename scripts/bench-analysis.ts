/**
 * Speed of the analyses on the bundled models, on WASM in Node, written to docs/benchmarks.md (section
 * "Attribution"). Figures, not tests: nothing is asserted; the targets are reported as met or not.
 *   npx tsx scripts/bench-analysis.ts [--models=polyglot,induction,gpt2-small] [--reps=7] [--tokens=64] [--backend=wasm] [--no-write]
 * `gpt2-small` is a GPT-2-small-shaped model with random weights (124M parameters): forward, grad × act, IG and the
 * path search only (the exact sweeps there are 36,864 runs), with the targets (gxa ≤ 3× forward, path < 20 s).
 * Each figure is the median of `reps` interleaved rounds after one warm-up round.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { attribute } from '../src/analysis/attribution';
import { findPath } from '../src/analysis/path';
import { initBackend, type BackendName } from '../src/engine/backend';
import { loadModelDir } from '../src/engine/node-load';
import { runModel } from '../src/engine/run';
import { parseConfig } from '../src/engine/config';
import { randomModel } from '../src/engine/init';
import type { Target } from '../src/engine/types';
import { inductionSequence } from '../src/train/induction-data';
import { Rng } from '../src/analysis/rng';
import { writeSection } from './bench-doc';

const argv = process.argv.slice(2);
const arg = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
const reps = Number(arg('reps') ?? 15);
const tokens = Number(arg('tokens') ?? 64);
const backend = (arg('backend') ?? 'wasm') as BackendName;
const names = (arg('models') ?? 'polyglot,induction').split(',');
tf.env().set('PROD', true);
const used = await initBackend(backend);
if (used !== backend) throw new Error(`backend ${backend} could not be started`);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Times every task in interleaved rounds (forward, then each task, `reps` times over, after one warm-up round), so
 * that load from other work on a shared machine falls on all of them alike. Returns per task the median time and
 * the median of its per-round ratio to the forward pass of the same round.
 */
async function rounds(tasks: Record<string, () => Promise<unknown>>): Promise<Record<string, { ms: number; ratio: number }>> {
  const names = Object.keys(tasks);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = -1; r < reps; r++) {
    for (const n of names) {
      const t0 = performance.now();
      await tasks[n]();
      if (r >= 0) times[n].push(performance.now() - t0);
    }
  }
  const fwd = times[names[0]];
  return Object.fromEntries(names.map((n) => [n, { ms: median(times[n]), ratio: median(times[n].map((t, i) => t / fwd[i])) }]));
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
  const large = name === 'gpt2-small';
  if (!large && !existsSync(`public/models/${name}/config.json`)) {
    notes.push(`- ${name}: not bundled (public/models/${name}/config.json missing) when measured; skipped.`);
    continue;
  }
  const model = large ? randomModel(parseConfig({ model_type: 'gpt2', n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 }), 5, 'gpt2-small') : await loadModelDir(name);
  const cfg = model.config;
  const T = Math.min(tokens, cfg.nCtx);
  const ids = promptFor(name, model.tokenizer ? (s) => model.tokenizer!.encode(s) : null, cfg.vocabSize, T);
  const last = await runModel(model, { inputIds: [ids], logits: 'last' });
  let top = 0;
  for (let v = 1; v < cfg.vocabSize; v++) if (last.logits!.data[v] > last.logits!.data[top]) top = v;
  const target: Target = { kind: 'logit', token: top };
  const tasks: Record<string, () => Promise<unknown>> = {
    forward: () => runModel(model, { inputIds: [ids], logits: 'last' }),
    gxa: () => attribute(model, { ids, target, method: 'gxa' }),
    ig: () => attribute(model, { ids, target, method: 'ig', steps: 20, layer: 0, kinds: ['neuron'] }),
    path: () => findPath(model, { ids, target, steps: 20 }),
  };
  if (!large) {
    tasks.beam = () => findPath(model, { ids, target, steps: 20, beam: 3 });
    tasks.exact = () => findPath(model, { ids, target, steps: 20, joint: 'exact' });
    tasks.ablate = () => attribute(model, { ids, target, method: 'ablate', kinds: ['neuron', 'head'] });
  }
  const t = await rounds(tasks);
  const x = (k: string) => (t[k] ? `${t[k].ms.toFixed(t[k].ms < 10 ? 1 : 0)} (${t[k].ratio.toFixed(1)}×)` : '—');
  const pathTarget = large ? 20_000 : 2000;
  rows.push(
    `| ${name}${large ? ' (random weights)' : ''} (${cfg.nLayer}L, d_model ${cfg.dModel}, d_mlp ${cfg.dMlp}) | ${T} | ${t.forward.ms.toFixed(1)} | ${x('gxa')} | ${x('ig')} | ${x('path')} | ${x('beam')} | ${x('exact')} | ${x('ablate')} | ${t.gxa.ratio <= 3 ? 'met' : 'missed'} / ${t.path.ms < pathTarget ? 'met' : 'missed'} (< ${pathTarget / 1000} s) |`,
  );
  console.error(`${name}: done`);
  model.dispose();
}

const table = [
  '| model | tokens | forward (ms) | grad × act, every neuron and head | IG of layer 0, m = 20 | path search, m = 20 | path search, beam 3 | path search, exact joint | exact ablation, every neuron and head | targets: gxa ≤ 3× forward / path search |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ...rows,
].join('\n');
const text = [
  `Measured ${new Date().toISOString().slice(0, 10)} on ${backend.toUpperCase()} in Node ${process.version}, tfjs ${tf.version.tfjs}, ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'} shared with other work (load average ${loadavg()[0].toFixed(1)} at the end), with \`npx tsx scripts/bench-analysis.ts${argv.length ? ' ' + argv.join(' ') : ''}\`. Milliseconds, median of ${reps} rounds after a warm-up round, each round timing every task once in turn; in brackets, the median over rounds of the task's time ÷ the same round's forward pass (the same prompt, last-position logits, no captures). The target is the model's top-1 next token at the last position; nodes are attributed and scaled there.`,
  '',
  table,
  '',
  '- grad × act (`attribute --method gxa`): one forward pass capturing what the backward pass reads, then the backward pass at the target position in plain arithmetic (`src/analysis/position-grad.ts`), for every MLP neuron and attention head at once.',
  '- IG and path search run on suffix runs (`src/analysis/suffix.ts`): an edit at the target position changes only that position, so each of the m scaled copies recomputes one position from the first edited layer on, with the clean keys and values of the earlier positions. A path search is one clean run, L joint-IG batches (NeuronPath), one batch for the per-layer IG baseline and one for the edges.',
  '- Exact ablation: one edited copy per node (d_mlp + heads per layer), batched 64 at a time, on suffix runs too; the exact-joint path search (`path --joint exact`) is one such sweep per layer.',
  ...notes,
].join('\n');
console.log(text);
if (!argv.includes('--no-write')) writeSection('docs/benchmarks.md', 'Attribution', text);
