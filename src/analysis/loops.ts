/**
 * Repetition loops and the single neuron that breaks them (after "Can editing 1 neuron fix repetition loops").
 *
 * Repetition is measured by the repeated 4-gram rate of a continuation: the share of its 4-grams (of tokens) that
 * already occurred earlier in the same continuation.
 *
 * The sweep has two stages, since generating with every one of the model's neurons edited is too slow in a
 * browser:
 * 1. Screening (every MLP neuron at once): on each looping prompt's own greedy continuation, take positions where
 *    the model continues a repeated 4-gram, and the gradient of log p(next token) there. A neuron's score is
 *    Σ activation × gradient over positions and prompts: the first-order estimate of how much zeroing it would
 *    lower the log-probability of continuing the loop (a sign flip is twice that estimate, so the ranking is
 *    the same).
 * 2. Verification: the best-scored candidates, each zeroed and each sign-flipped (scale −1) at every position,
 *    are run through real greedy generation on every prompt; the edit with the lowest mean repeated 4-gram rate
 *    wins. As many random neurons can be run the same way as a baseline for the best-of-N selection.
 * The winner is then measured on held-out looping prompts and on held-out text (loss with and without it).
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit } from '../engine/types';
import { Rng } from './rng';
import { generateBatch } from './generate';
import { checkCancelled, type AnalysisOptions } from './options';
import type { NeuronRef } from './lape';

/** Share of the n-grams of `ids` that already occurred earlier in `ids` (0 when there are none). */
export function repeatedNgramRate(ids: ArrayLike<number>, n = 4): number {
  const count = ids.length - n + 1;
  if (count <= 0) return 0;
  const seen = new Set<string>();
  let repeated = 0;
  for (let i = 0; i < count; i++) {
    const g = Array.prototype.slice.call(ids, i, i + n).join(',');
    if (seen.has(g)) repeated++;
    else seen.add(g);
  }
  return repeated / count;
}

/** Indices j (into `ids`) whose token completes an n-gram that already occurred earlier. */
export function repeatedPositions(ids: ArrayLike<number>, n = 4): number[] {
  const seen = new Set<string>();
  const out: number[] = [];
  for (let i = 0; i + n <= ids.length; i++) {
    const g = Array.prototype.slice.call(ids, i, i + n).join(',');
    if (seen.has(g)) out.push(i + n - 1);
    else seen.add(g);
  }
  return out;
}

const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

export interface LoopingPromptsRequest {
  /** Candidate prompts of equal length. */
  candidates: number[][];
  maxTokens: number;
  /** A prompt loops when its greedy continuation's repeated 4-gram rate is at least this (default 0.5). */
  threshold?: number;
  batchSize?: number;
}

export interface LoopingPrompts {
  /** Indices into the candidates of the prompts that loop. */
  looping: number[];
  /** Every candidate's greedy continuation and its rate. */
  continuations: number[][];
  rates: number[];
}

export async function findLoopingPrompts(model: Model, req: LoopingPromptsRequest, opts: AnalysisOptions = {}): Promise<LoopingPrompts> {
  const threshold = req.threshold ?? 0.5;
  const gen = await generateBatch(model, { prompts: req.candidates, maxTokens: req.maxTokens, batchSize: req.batchSize ?? 32 }, opts);
  const rates = gen.generated.map((g) => repeatedNgramRate(g));
  return { looping: rates.flatMap((r, i) => (r >= threshold ? [i] : [])), continuations: gen.generated, rates };
}

/** Mean next-token cross-entropy (nats/token) over windows (each of ≤ n_ctx + 1 tokens), with edits applied. */
export async function heldOutLoss(model: Model, windows: number[][], edits: Edit[] = [], opts: AnalysisOptions & { batchSize?: number } = {}): Promise<number> {
  const V = model.config.vocabSize;
  const bs = opts.batchSize ?? 16;
  let total = 0;
  let n = 0;
  const groups = new Map<number, number[][]>();
  for (const w of windows) {
    if (w.length < 2) continue;
    if (w.length - 1 > model.config.nCtx) fail(`a held-out window of ${w.length} tokens is longer than the context + 1`);
    groups.set(w.length, [...(groups.get(w.length) ?? []), w]);
  }
  for (const g of groups.values()) {
    for (let i = 0; i < g.length; i += bs) {
      const chunk = g.slice(i, i + bs);
      const T = chunk[0].length - 1;
      const res = await runModel(model, { inputIds: chunk.map((w) => w.slice(0, T)), edits, logits: 'all' });
      const d = res.logits!.data;
      chunk.forEach((w, b) => {
        for (let t = 0; t < T; t++) {
          const base = (b * T + t) * V;
          let max = -Infinity;
          for (let v = 0; v < V; v++) max = Math.max(max, d[base + v]);
          let s = 0;
          for (let v = 0; v < V; v++) s += Math.exp(d[base + v] - max);
          total += Math.log(s) + max - d[base + w[t + 1]];
          n++;
        }
      });
    }
  }
  if (n === 0) fail('no held-out tokens to score');
  return total / n;
}

export type LoopOp = 'zero' | 'flip';

export function neuronEdit(n: NeuronRef, op: LoopOp): Edit {
  const hook = `blocks.${n.layer}.mlp.hook_post`;
  return op === 'zero' ? { hook, index: n.index, op: 'zero', positions: null } : { hook, index: n.index, op: 'scale', value: -1, positions: null };
}

export interface ScreenRequest {
  prompts: number[][];
  /** Each prompt's greedy continuation (clean). */
  continuations: number[][];
  /** Target positions per prompt (default 8), spread over the repeated part of the continuation. */
  positionsPerPrompt?: number;
}

/** Per neuron (index layer·dMlp + neuron): Σ activation × d log p(loop token) / d activation. */
export async function screenLoopNeurons(model: Model, req: ScreenRequest, opts: AnalysisOptions = {}): Promise<Float64Array> {
  const { nLayer: L, dMlp: M, nCtx } = model.config;
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.mlp.hook_post`);
  const score = new Float64Array(L * M);
  const per = req.positionsPerPrompt ?? 8;
  for (let p = 0; p < req.prompts.length; p++) {
    checkCancelled(opts);
    const P = req.prompts[p].length;
    const full = [...req.prompts[p], ...req.continuations[p]];
    // Inputs: everything but the last token, cut to the context from the left.
    const offset = Math.max(0, full.length - 1 - nCtx);
    const input = full.slice(offset, full.length - 1);
    const reps = repeatedPositions(req.continuations[p]);
    if (reps.length === 0) {
      opts.onProgress?.(p + 1, req.prompts.length);
      continue;
    }
    const chosen = [...new Set(Array.from({ length: Math.min(per, reps.length) }, (_, i) => reps[Math.floor((i * reps.length) / Math.min(per, reps.length))]))];
    // Token P + j is predicted at position P + j − 1 of the full sequence.
    const targets = chosen.map((j) => ({ kind: 'logprob' as const, position: P + j - 1 - offset, token: full[P + j] })).filter((t) => t.position >= 0);
    if (targets.length > 0) {
      const T = input.length;
      const res = await runModel(model, { inputIds: targets.map(() => input), capture: hooks, target: targets, logits: 'none' });
      hooks.forEach((h, l) => {
        const a = res.activations[h].data;
        const g = res.grads[h].data;
        for (let r = 0; r < targets.length * T; r++) {
          for (let n = 0; n < M; n++) score[l * M + n] += a[r * M + n] * g[r * M + n];
        }
      });
    }
    opts.onProgress?.(p + 1, req.prompts.length);
  }
  return score;
}

export interface LoopSweepRequest {
  /** Looping prompts of equal length (the sweep set). */
  prompts: number[][];
  maxTokens: number;
  /** Screened neurons verified by generation (default 8). */
  candidates?: number;
  ops?: LoopOp[];
  positionsPerPrompt?: number;
  /** Random neurons run the same way, as a baseline (default 0). */
  randomBaseline?: number;
  seed?: number;
  /** Held-out looping prompts (same length as `prompts`) to measure the chosen edit on. */
  testPrompts?: number[][];
  /** Held-out text windows (≤ n_ctx + 1 tokens) for the loss the edit costs. */
  heldOut?: number[][];
  batchSize?: number;
}

export interface EditTrial {
  neuron: NeuronRef;
  op: LoopOp;
  /** Mean repeated 4-gram rate over the sweep prompts with this edit. */
  rate: number;
  /** Screening score (Σ activation × gradient); null for random neurons. */
  score: number | null;
}

export interface LoopSweepReport {
  prompts: number;
  maxTokens: number;
  /** Mean repeated 4-gram rate of the clean continuations of the sweep prompts. */
  cleanRate: number;
  trials: EditTrial[];
  random: EditTrial[];
  best: EditTrial;
  /** The best random trial (lowest rate), for the best-of-N comparison. */
  bestRandom: EditTrial | null;
  test: { prompts: number; cleanRate: number; editedRate: number; cleanLooping: number; editedLooping: number } | null;
  loss: { clean: number; edited: number; delta: number; windows: number } | null;
  /** Per sweep prompt: clean and best-edit continuation. */
  examples: Array<{ prompt: number[]; clean: number[]; edited: number[]; cleanRate: number; editedRate: number }>;
}

export async function loopNeuronSweep(model: Model, req: LoopSweepRequest, opts: AnalysisOptions = {}): Promise<LoopSweepReport> {
  const { nLayer: L, dMlp: M } = model.config;
  if (req.prompts.length === 0) fail('the loop sweep needs at least one looping prompt');
  const ops = req.ops ?? ['zero', 'flip'];
  const K = Math.min(req.candidates ?? 8, L * M);
  const R = req.randomBaseline ?? 0;
  const bs = req.batchSize ?? 32;
  // Work units for progress: screening (one per prompt), then generation steps.
  const phases = { screen: req.prompts.length };
  let base = 0;
  const sub = (total: number): AnalysisOptions => ({ signal: opts.signal, onProgress: (d, t) => opts.onProgress?.(base + (d / t) * total, grand) });
  const nSeq = req.prompts.length * (1 + (K + R) * ops.length) + 2 * (req.testPrompts?.length ?? 0);
  const genUnits = Math.ceil(nSeq / bs) * req.maxTokens;
  const grand = phases.screen + genUnits;

  // Clean continuations (needed by screening and as the baseline rate).
  const clean = await generateBatch(model, { prompts: req.prompts, maxTokens: req.maxTokens, batchSize: bs }, { signal: opts.signal });
  const score = await screenLoopNeurons(model, { prompts: req.prompts, continuations: clean.generated, positionsPerPrompt: req.positionsPerPrompt }, sub(phases.screen));
  base += phases.screen;
  const order = Array.from({ length: L * M }, (_, u) => u).sort((a, b) => score[b] - score[a] || a - b);
  const cands: NeuronRef[] = order.slice(0, K).map((u) => ({ layer: Math.floor(u / M), index: u % M }));
  const rng = new Rng(req.seed ?? 1);
  const exclude = new Set(cands.map((n) => n.layer * M + n.index));
  const randoms: NeuronRef[] = [];
  while (randoms.length < R && exclude.size < L * M) {
    const u = rng.int(L * M);
    if (exclude.has(u)) continue;
    exclude.add(u);
    randoms.push({ layer: Math.floor(u / M), index: u % M });
  }
  const conds: Array<{ neuron: NeuronRef; op: LoopOp; random: boolean }> = [];
  for (const n of cands) for (const op of ops) conds.push({ neuron: n, op, random: false });
  for (const n of randoms) for (const op of ops) conds.push({ neuron: n, op, random: true });
  const prompts: number[][] = [];
  const edits: Edit[][] = [];
  for (const c of conds) for (const p of req.prompts) (prompts.push(p), edits.push([neuronEdit(c.neuron, c.op)]));
  const gen = await generateBatch(model, { prompts, edits, maxTokens: req.maxTokens, batchSize: bs }, sub(genUnits));
  const P = req.prompts.length;
  const trials: EditTrial[] = [];
  const random: EditTrial[] = [];
  conds.forEach((c, i) => {
    const rate = mean(gen.generated.slice(i * P, (i + 1) * P).map((g) => repeatedNgramRate(g)));
    const t: EditTrial = { neuron: c.neuron, op: c.op, rate, score: c.random ? null : score[c.neuron.layer * M + c.neuron.index] };
    (c.random ? random : trials).push(t);
  });
  const bestIdx = trials.reduce((b, t, i) => (t.rate < trials[b].rate ? i : b), 0);
  const best = trials[bestIdx];
  const bestRandom = random.length ? random.reduce((b, t) => (t.rate < b.rate ? t : b)) : null;
  const bestEdit = neuronEdit(best.neuron, best.op);
  const bestGen = gen.generated.slice(bestIdx * P, (bestIdx + 1) * P);
  const cleanRates = clean.generated.map((g) => repeatedNgramRate(g));

  let test: LoopSweepReport['test'] = null;
  if (req.testPrompts && req.testPrompts.length > 0) {
    const tp = req.testPrompts;
    const tg = await generateBatch(model, { prompts: [...tp, ...tp], edits: [...tp.map(() => []), ...tp.map(() => [bestEdit])], maxTokens: req.maxTokens, batchSize: bs }, { signal: opts.signal });
    const r = tg.generated.map((g) => repeatedNgramRate(g));
    const threshold = 0.5;
    test = {
      prompts: tp.length,
      cleanRate: mean(r.slice(0, tp.length)),
      editedRate: mean(r.slice(tp.length)),
      cleanLooping: r.slice(0, tp.length).filter((x) => x >= threshold).length,
      editedLooping: r.slice(tp.length).filter((x) => x >= threshold).length,
    };
  }
  let loss: LoopSweepReport['loss'] = null;
  if (req.heldOut && req.heldOut.length > 0) {
    const c = await heldOutLoss(model, req.heldOut, [], { signal: opts.signal });
    const e = await heldOutLoss(model, req.heldOut, [bestEdit], { signal: opts.signal });
    loss = { clean: c, edited: e, delta: e - c, windows: req.heldOut.length };
  }
  opts.onProgress?.(grand, grand);
  return {
    prompts: P,
    maxTokens: req.maxTokens,
    cleanRate: mean(cleanRates),
    trials,
    random,
    best,
    bestRandom,
    test,
    loss,
    examples: req.prompts.map((p, i) => ({ prompt: p, clean: clean.generated[i], edited: bestGen[i], cleanRate: cleanRates[i], editedRate: repeatedNgramRate(bestGen[i]) })),
  };
}
