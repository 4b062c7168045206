/**
 * What the neuron card shows for one MLP neuron: its activation on each prompt token, the contexts of a
 * reference corpus where it fires most, the tokens its output direction promotes and suppresses through the
 * unembedding, and a histogram of its activations over the corpus.
 */
import * as tf from '@tensorflow/tfjs';
import { unembedMatrix } from '../engine/weights';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import { checkCancelled, MAX_BATCH, type AnalysisOptions } from './options';
import { mlpHook } from './scores';

export interface NeuronCardRequest {
  ids: number[];
  layer: number;
  index: number;
  /** Reference corpus as windows of token ids (at most n_ctx each). */
  corpus: number[][];
  /** Where that text came from (shown on the card). */
  corpusName?: string;
  /** How many top contexts, promoted and suppressed tokens; default 8. */
  top?: number;
}

export interface TokenValue {
  id: number;
  value: number;
}

export interface NeuronContext {
  window: number;
  position: number;
  value: number;
  /** Token ids around the position (up to 24 before, 4 after); `at` indexes the position in them. */
  ids: number[];
  at: number;
  /** The neuron's activation at each of those tokens (the card shades the whole context). */
  values: number[];
}

export interface NeuronCard {
  layer: number;
  index: number;
  /** Activation on each prompt token. */
  acts: Float32Array;
  contexts: NeuronContext[];
  promoted: TokenValue[];
  suppressed: TokenValue[];
  histogram: { lo: number; hi: number; counts: number[] };
  /** Mean over the corpus, and mean over positions where it is positive (the "active" value). */
  mean: number;
  meanActive: number;
  /** What text the contexts, histogram and means come from: the reference text, or (without one) the prompt alone. */
  source: { kind: 'reference' | 'prompt'; name: string; windows: number; tokens: number };
}

/** Activations of every neuron of a layer over a corpus, cached per model and layer. */
const corpusCache = new WeakMap<Model, Map<string, Float32Array>>();

async function corpusActivations(model: Model, layer: number, corpus: number[][], opts: AnalysisOptions): Promise<Float32Array> {
  let cache = corpusCache.get(model);
  if (!cache) corpusCache.set(model, (cache = new Map()));
  // Keyed by the text itself (a cheap hash of every id): two prompts of one length must not share an entry.
  let h = 2166136261;
  for (const w of corpus) for (const id of w) h = Math.imul(h ^ id, 16777619) >>> 0;
  const key = `${layer}|${corpus.length}|${h}`;
  const hit = cache.get(key);
  if (hit) return hit;
  const N = model.config.dMlp;
  const total = corpus.reduce((s, w) => s + w.length, 0);
  const out = new Float32Array(total * N);
  let offset = 0;
  // Windows of equal length batch together.
  for (let i = 0; i < corpus.length; ) {
    checkCancelled(opts);
    const len = corpus[i].length;
    let j = i;
    while (j < corpus.length && j - i < MAX_BATCH && corpus[j].length === len) j++;
    const r = await runModel(model, { inputIds: corpus.slice(i, j), capture: [mlpHook(layer)], logits: 'none' });
    out.set(r.activations[mlpHook(layer)].data, offset);
    offset += (j - i) * len * N;
    i = j;
    opts.onProgress?.(i, corpus.length);
  }
  cache.set(key, out);
  return out;
}

function topBy(values: ArrayLike<number>, k: number, sign: 1 | -1): TokenValue[] {
  return Array.from({ length: values.length }, (_, i) => i)
    .sort((a, b) => sign * (values[b] - values[a]))
    .slice(0, k)
    .map((id) => ({ id, value: values[id] }));
}

export async function neuronCard(model: Model, req: NeuronCardRequest, opts: AnalysisOptions = {}): Promise<NeuronCard> {
  const { dMlp: N, dModel: D } = model.config;
  const k = req.top ?? 8;
  const hook = mlpHook(req.layer);
  const prompt = await runModel(model, { inputIds: [req.ids], capture: [hook], logits: 'none' });
  const acts = new Float32Array(req.ids.length);
  for (let t = 0; t < req.ids.length; t++) acts[t] = prompt.activations[hook].data[t * N + req.index];

  // Output direction through the unembedding: row `index` of the MLP output projection times W_U.
  const logitT = tf.tidy(() => {
    const row = tf.slice(model.weights.blocks[req.layer].mlp.out.weight, [req.index, 0], [1, D]);
    return tf.matMul(row, unembedMatrix(model.weights), false, true);
  });
  const vocab = (await logitT.data()) as Float32Array;
  logitT.dispose();

  const corpus = req.corpus.length ? req.corpus : [req.ids];
  const source = { kind: req.corpus.length ? ('reference' as const) : ('prompt' as const), name: req.corpus.length ? req.corpusName ?? 'reference text' : 'the prompt', windows: corpus.length, tokens: corpus.reduce((s, w) => s + w.length, 0) };
  const all = await corpusActivations(model, req.layer, corpus, opts);
  const values = new Float32Array(all.length / N);
  for (let i = 0; i < values.length; i++) values[i] = all[i * N + req.index];
  let lo = Infinity;
  let hi = -Infinity;
  let sum = 0;
  let activeSum = 0;
  let active = 0;
  for (const v of values) {
    lo = Math.min(lo, v);
    hi = Math.max(hi, v);
    sum += v;
    if (v > 0) (activeSum += v), active++;
  }
  const bins = 30;
  const counts = new Array(bins).fill(0);
  for (const v of values) counts[Math.min(bins - 1, Math.floor(((v - lo) / Math.max(1e-9, hi - lo)) * bins))]++;
  // Top contexts: positions with the largest activation, at most one per window.
  const where: Array<{ window: number; position: number; value: number }> = [];
  let off = 0;
  corpus.forEach((w, wi) => {
    let best = -Infinity;
    let bp = 0;
    for (let p = 0; p < w.length; p++) if (values[off + p] > best) (best = values[off + p]), (bp = p);
    where.push({ window: wi, position: bp, value: best });
    off += w.length;
  });
  where.sort((a, b) => b.value - a.value);
  const contexts = where.slice(0, k).map((c) => {
    const w = corpus[c.window];
    const from = Math.max(0, c.position - 24);
    const to = Math.min(w.length, c.position + 5);
    const base = corpus.slice(0, c.window).reduce((s, x) => s + x.length, 0);
    return { ...c, ids: w.slice(from, to), at: c.position - from, values: Array.from(values.subarray(base + from, base + to)) };
  });
  return {
    layer: req.layer,
    index: req.index,
    acts,
    contexts,
    promoted: topBy(vocab, k, 1),
    suppressed: topBy(vocab, k, -1),
    histogram: { lo, hi, counts },
    mean: sum / values.length,
    meanActive: active ? activeSum / active : 0,
    source,
  };
}
