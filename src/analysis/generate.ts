/**
 * Text generation with edits applied at every step, clean and edited side by side.
 *
 * Each step feeds only the new token and reuses the keys and values of earlier positions (a key/value cache);
 * every hook sees the new position's value and the request's edits apply to it, exactly as in a full run
 * (`runModel` over the whole sequence), which `cache: false` uses at every step instead. The test suite checks
 * that both give the same tokens.
 *
 * Positions. An edit's `positions` count from the first token of the prompt (absolute positions in prompt +
 * generated text). A position past the current end of the sequence applies once generation reaches it;
 * `positions: null` applies everywhere, generated tokens included.
 *
 * Context. When prompt + generated tokens exceed the model's context (n_ctx), only the last n_ctx tokens are fed
 * (a sliding window; positional embeddings restart at 0 for the window's first token). Edit positions then shift
 * with the window, and positions that fell out of it no longer apply. The result says when this happened.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName } from '../engine/types';
import { Rng } from './rng';
import { editsForWindow } from './edit-window';
import { KvCache } from './kv-cache';
import { betweenSteps, type AnalysisOptions } from './options';

export { editsForWindow, KvCache };

/** Progress and cancellation, the same for every analysis function (see options.ts). */
export type { AnalysisOptions };

export type Means = Record<HookName, Float32Array | number[]>;

/** Sampling settings; without them (or with temperature 0) decoding is greedy (argmax, lowest id on ties). */
export interface Sampling {
  /** > 0; logits are divided by it before the softmax. 0 means greedy. */
  temperature: number;
  /** Keep only the k most likely tokens (0 or undefined: all). */
  topK?: number;
  /** Seed of the mulberry32 generator: the same seed gives the same continuation. */
  seed: number;
}

export function checkSampling(s: Sampling | null | undefined): void {
  if (!s) return;
  if (!Number.isFinite(s.temperature) || s.temperature < 0) fail(`temperature ${s.temperature} must be a number ≥ 0`);
  if (s.topK !== undefined && (!Number.isInteger(s.topK) || s.topK < 0)) fail(`top-k ${s.topK} must be an integer ≥ 0`);
  if (!Number.isInteger(s.seed)) fail(`seed ${s.seed} must be an integer`);
}

/** Picks the next token from one row of logits. `rng` is only used when sampling. */
export function pickToken(logits: ArrayLike<number>, sampling: Sampling | null | undefined, rng: Rng | null): number {
  const V = logits.length;
  if (!sampling || sampling.temperature === 0) {
    let best = 0;
    for (let i = 1; i < V; i++) if (logits[i] > logits[best]) best = i;
    return best;
  }
  const t = sampling.temperature;
  let order = Array.from({ length: V }, (_, i) => i);
  if (sampling.topK && sampling.topK < V) {
    // Stable: ties keep the lower id, so the kept set is deterministic.
    order.sort((a, b) => logits[b] - logits[a] || a - b);
    order = order.slice(0, sampling.topK);
  }
  let max = -Infinity;
  for (const i of order) max = Math.max(max, logits[i] / t);
  const w = order.map((i) => Math.exp(logits[i] / t - max));
  const total = w.reduce((a, b) => a + b, 0);
  let u = rng!.next() * total;
  for (let j = 0; j < order.length; j++) {
    u -= w[j];
    if (u < 0) return order[j];
  }
  return order[order.length - 1];
}

export interface BatchGenerateRequest {
  /** Prompts of equal length. */
  prompts: number[][];
  /** One edit list per prompt (empty list = clean), or one list for all. */
  edits?: Edit[] | Edit[][];
  means?: Means;
  maxTokens: number;
  /** Greedy when absent. */
  sampling?: Sampling | null;
  /** Per-sequence seeds (default: sampling.seed for every sequence, so clean and edited draw the same numbers). */
  seeds?: number[];
  /** Sequences per forward pass (default 16). */
  batchSize?: number;
  /** Reuse keys and values between steps (default true); false runs the engine over the whole sequence each step. */
  cache?: boolean;
}

export interface BatchGenerateResult {
  /** Generated token ids per prompt (prompt excluded). */
  generated: number[][];
  /** True when the sequence outgrew the context and a sliding window was used. */
  windowed: boolean;
}

/**
 * Generates `maxTokens` tokens for each prompt, each with its own edit list applied at every step.
 * Prompts run together in batches of equal length (so clean and edited copies of a prompt share forward passes).
 */
export async function generateBatch(model: Model, req: BatchGenerateRequest, opts: AnalysisOptions = {}): Promise<BatchGenerateResult> {
  const cfg = model.config;
  if (cfg.vision) fail(`this ${cfg.modelType} model classifies images; it does not generate text`);
  const N = req.prompts.length;
  if (N === 0) return { generated: [], windowed: false };
  const P = req.prompts[0].length;
  if (P === 0) fail('the prompt is empty: at least one token is needed');
  for (const p of req.prompts) if (p.length !== P) fail('generateBatch: all prompts must have the same length');
  if (P > cfg.nCtx) fail(`the prompt is ${P} tokens long, longer than the model's context of ${cfg.nCtx} tokens`);
  if (!Number.isInteger(req.maxTokens) || req.maxTokens < 0) fail(`max tokens ${req.maxTokens} must be an integer ≥ 0`);
  checkSampling(req.sampling);
  const raw = req.edits ?? [];
  const editSets: Edit[][] =
    raw.length > 0 && Array.isArray(raw[0]) ? (raw as Edit[][]) : Array.from({ length: N }, () => raw as Edit[]);
  if (editSets.length !== N) fail(`generateBatch: ${editSets.length} edit sets given for ${N} prompts`);
  const sampling = req.sampling && req.sampling.temperature > 0 ? req.sampling : null;
  const rngs = req.prompts.map((_, i) => (sampling ? new Rng(req.seeds?.[i] ?? sampling.seed) : null));
  const seqs = req.prompts.map((p) => [...p]);
  const bs = Math.max(1, req.batchSize ?? 16);
  const total = req.maxTokens * Math.ceil(N / bs);
  let done = 0;
  let windowed = false;
  const V = cfg.vocabSize;
  for (let start = 0; start < N; start += bs) {
    const idx = Array.from({ length: Math.min(bs, N - start) }, (_, j) => start + j);
    const cache = req.cache === false ? null : new KvCache(model);
    try {
      for (let step = 0; step < req.maxTokens; step++) {
        await betweenSteps(opts);
        const len = seqs[idx[0]].length;
        const offset = Math.max(0, len - cfg.nCtx);
        if (offset > 0) windowed = true;
        const T = len - offset;
        let logits: Float32Array;
        if (cache && offset === 0) {
          // First step: the whole prompt; later steps: the new token only.
          const from = cache.length;
          logits = await cache.extend(idx.map((i) => seqs[i].slice(from)), idx.map((i) => editsForWindow(editSets[i], 0, T)), req.means);
        } else {
          cache?.dispose();
          const res = await runModel(model, {
            inputIds: idx.map((i) => seqs[i].slice(offset)),
            edits: idx.map((i) => editsForWindow(editSets[i], offset, T)),
            means: req.means,
            logits: 'last',
          });
          logits = res.logits!.data;
        }
        idx.forEach((i, b) => seqs[i].push(pickToken(logits.subarray(b * V, (b + 1) * V), sampling, rngs[i])));
        opts.onProgress?.(++done, total);
      }
    } finally {
      cache?.dispose();
    }
  }
  return { generated: seqs.map((s) => s.slice(P)), windowed };
}

export interface GenerateRequest {
  inputIds: number[];
  /** Edits of the edited run (the clean run has none). */
  edits: Edit[];
  means?: Means;
  maxTokens: number;
  sampling?: Sampling | null;
}

export interface GenerateResult {
  prompt: number[];
  /** Generated ids without edits. */
  clean: number[];
  /** Generated ids with the edits at every step. */
  edited: number[];
  /** Index (into the generated tokens) of the first token where clean and edited differ; null if none. */
  firstDivergence: number | null;
  /** True when prompt + generation outgrew the context and a sliding window of n_ctx tokens was used. */
  windowed: boolean;
  /** The decoding used. */
  decoding: { kind: 'greedy' } | { kind: 'sample'; temperature: number; topK: number; seed: number };
}

export function firstDivergence(a: number[], b: number[]): number | null {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? null : n;
}

/**
 * Clean and edited continuations of one prompt. With sampling, both use the same seed: they draw the same random
 * numbers, so they differ only through the edits.
 */
export async function generate(model: Model, req: GenerateRequest, opts: AnalysisOptions = {}): Promise<GenerateResult> {
  const r = await generateBatch(
    model,
    { prompts: [req.inputIds, req.inputIds], edits: [[], req.edits], means: req.means, maxTokens: req.maxTokens, sampling: req.sampling },
    opts,
  );
  const [clean, edited] = r.generated;
  const s = req.sampling;
  return {
    prompt: [...req.inputIds],
    clean,
    edited,
    firstDivergence: firstDivergence(clean, edited),
    windowed: r.windowed,
    decoding: s && s.temperature > 0 ? { kind: 'sample', temperature: s.temperature, topK: s.topK ?? 0, seed: s.seed } : { kind: 'greedy' },
  };
}

/**
 * Prompts of exactly `length` tokens from the starts of a text's lines (one fortune per line): the first `count`
 * lines that encode to at least `length + minRest` tokens, cut to `length`.
 */
export function linePrompts(text: string, encode: (s: string) => number[], count: number, length: number, minRest = 8): number[][] {
  const out: number[][] = [];
  for (const line of text.split('\n')) {
    if (out.length >= count) break;
    if (line.length < length) continue;
    const ids = encode(line);
    if (ids.length >= length + minRest) out.push(ids.slice(0, length));
  }
  return out;
}

/** `count` windows of `size` tokens spread evenly over a token sequence (fewer when it is too short). */
export function spreadWindows(ids: ArrayLike<number>, size: number, count: number): number[][] {
  const room = ids.length - size;
  if (room < 0 || count <= 0) return [];
  const n = Math.min(count, room + 1);
  return Array.from({ length: n }, (_, i) => {
    const s = n === 1 ? 0 : Math.floor((i * room) / (n - 1));
    return Array.from({ length: size }, (_, j) => ids[s + j]);
  });
}
