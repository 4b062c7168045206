/**
 * Suffix runs: many edited copies of one prompt whose edits all sit at positions ≥ `start`, each run only over
 * those positions and only from the first edited layer on.
 *
 * Why this is exact: attention is causal, so nothing at a position before `start` depends on anything at or after
 * it. The keys and values of positions < start are the clean run's, in every edited copy; the residual stream at
 * positions ≥ start entering layer l0 (the first layer an edit, a gradient probe or a target touches) is the clean
 * one too. A suffix run takes both from one clean run and recomputes only positions start..T−1 of layers l0..L−1.
 * Attribution at the target position (integrated gradients, ablation sweeps, NeuronPath) edits one position, so a
 * batch of m copies costs m single-token passes instead of m whole prompts.
 *
 * Non-causal models (vit): every position sees every other, so a run recomputes every position from layer l0 (still
 * exact: layers before the first edit are the clean run's); edits may sit at any position, and results are still
 * reported for positions start..T−1. The target is read where the model's output is: [CLS] for vision models.
 *
 * The arithmetic is the engine's: the same block (src/engine/block.ts) with an attention step that reads the cached
 * keys and values (after rotary, at absolute positions), for every architecture; test/analysis/suffix.test.ts checks
 * target values and gradients against `runModel` for every kind of edit, target and layer, on every architecture.
 */
import * as tf from '@tensorflow/tfjs';
import { buildEditMaps } from '../engine/edits';
import { fail } from '../engine/errors';
import { block, finalNorm, fullAttention, headsFirst, maskData, patternOf, repeatKv, type Attention, type BlockHookFn } from '../engine/block';
import { hookInfo, hookName, type BlockHook } from '../engine/hooks';
import type { Model } from '../engine/model';
import { classify, targetLogitRows } from '../engine/forward';
import { batchInput, inputTokens, outputPosition, type ModelInput } from '../engine/inputs';
import { product } from '../engine/ops';
import { runModel } from '../engine/run';
import { checkRunMemory } from '../engine/memory-check';
import { describeRun, type RunShape } from '../engine/request-memory';
import { isCausal, type Edit, type HookName, type TensorData } from '../engine/types';
import type { Weights } from '../engine/weights';
import { planSuffixRun, type SuffixRequest, type SuffixResult, type SuffixTarget } from './suffix-request';

export { suffixBatch, suffixTarget, type SuffixRequest, type SuffixResult, type SuffixTarget } from './suffix-request';

/** Per batch and head, q · k over the last axis for one query and one key each: [B, H, 1, d] × [B, H, 1, d] → [B, H, 1, 1]. */
const rowDot = (q: tf.Tensor, k: tf.Tensor) => tf.sum(tf.mul(q, k), -1, true);

/**
 * The clean run of one prompt, kept on the backend (keys, values and block inputs of every layer ≥ fromLayer),
 * from which any number of suffix runs are made. Dispose it when done.
 */
export class SuffixRunner {
  private constructor(
    readonly model: Model,
    /** The prompt's token ids, or a vision model's image. */
    readonly ids: ModelInput,
    readonly T: number,
    readonly fromLayer: number,
    private residPre: Map<number, tf.Tensor>,
    private keysT: Map<number, tf.Tensor>,
    private values: Map<number, tf.Tensor>,
    /** Clean values of the extra hooks asked for at creation, batch-free ([T, ...unit shape]). */
    readonly clean: Record<HookName, TensorData>,
    /** With `opts.logits` at creation: the clean run's outputs at the output position, [V]. */
    readonly cleanLogits: Float32Array | null = null,
    /** Whether the prefix keys and values cut for a start are kept for the next run (see prefixKv). */
    private readonly keepPrefix = true,
  ) {}

  /**
   * `extra`: hooks whose clean values are kept in `clean`; `opts.logits`: keep the clean outputs at the output
   * position in `cleanLogits` (the same forward pass); `opts.keepPrefix: false` for a runner kept between
   * requests (each run then cuts its prefix keys and values afresh, so the runner holds no more tensors after a run
   * than before it).
   */
  static async create(model: Model, ids: ModelInput, fromLayer = 0, extra: HookName[] = [], opts: { logits?: boolean; keepPrefix?: boolean } = {}): Promise<SuffixRunner> {
    const cfg = model.config;
    const { nLayer: L, nKvHead: K, dHead: dh, dModel: D } = cfg;
    const T = inputTokens(cfg, ids);
    const causal = isCausal(cfg);
    const layers = Array.from({ length: L - fromLayer }, (_, i) => fromLayer + i);
    // The keys as attention reads them: after rotary on rotary models. Non-causal runs recompute every key.
    const keyHook = cfg.positions === 'rotary' ? 'attn.hook_rot_k' : 'attn.hook_k';
    const capture = layers.flatMap((l) => [hookName(l, 'hook_resid_pre'), ...(causal ? [hookName(l, keyHook), hookName(l, 'attn.hook_v')] : [])]);
    const r = await runModel(model, { ...batchInput(ids, 1), capture: [...new Set([...capture, ...extra])], logits: opts.logits ? 'last' : 'none' });
    const clean: Record<HookName, TensorData> = {};
    for (const h of extra) clean[h] = { shape: r.activations[h].shape.slice(1), data: r.activations[h].data };
    const residPre = new Map<number, tf.Tensor>();
    const keysT = new Map<number, tf.Tensor>();
    const values = new Map<number, tf.Tensor>();
    tf.tidy(() => {
      for (const l of layers) {
        residPre.set(l, tf.keep(tf.tensor(r.activations[hookName(l, 'hook_resid_pre')].data, [1, T, D])));
        if (!causal) continue;
        const k = tf.tensor(r.activations[hookName(l, keyHook)].data, [1, T, K, dh]);
        keysT.set(l, tf.keep(repeatKv(tf.transpose(k, [0, 2, 3, 1]), cfg)));
        const v = tf.tensor(r.activations[hookName(l, 'attn.hook_v')].data, [1, T, K, dh]);
        values.set(l, tf.keep(repeatKv(headsFirst(v), cfg)));
      }
    });
    return new SuffixRunner(model, ids, T, fromLayer, residPre, keysT, values, clean, opts.logits && r.logits ? r.logits.data : null, opts.keepPrefix ?? true);
  }

  /** Per layer, the cached keys and values of positions < start, for the start they were last cut at. */
  private prefix = new Map<number, { start: number; kPre: tf.Tensor; vPre: tf.Tensor }>();

  /**
   * Layer l's keys [H, dh, start] and values [H, start, dh] before `start`, cut once per start and kept (not
   * disposed by the run's tidy): every run of a loop at one start reads the same ones, and on the CPU backend the
   * cut copies element by element (most of a one-token run's time there).
   */
  private prefixKv(l: number, start: number): { kPre: tf.Tensor; vPre: tf.Tensor } {
    const { nHead: H, dHead: dh } = this.model.config;
    const cut = () => ({
      kPre: tf.reshape(tf.slice(this.keysT.get(l)!, [0, 0, 0, 0], [1, H, dh, start]), [H, dh, start]),
      vPre: tf.reshape(tf.slice(this.values.get(l)!, [0, 0, 0, 0], [1, H, start, dh]), [H, start, dh]),
    });
    if (!this.keepPrefix) return cut();
    const hit = this.prefix.get(l);
    if (hit?.start === start) return hit;
    hit?.kPre.dispose();
    hit?.vPre.dispose();
    const fresh = cut();
    const entry = { start, kPre: tf.keep(fresh.kPre), vPre: tf.keep(fresh.vPre) };
    this.prefix.set(l, entry);
    return entry;
  }

  dispose(): void {
    for (const p of this.prefix.values()) for (const t of [p.kPre, p.vPre]) t.dispose();
    this.prefix.clear();
    for (const m of [this.residPre, this.keysT, this.values]) for (const t of m.values()) t.dispose();
    this.residPre.clear();
    this.keysT.clear();
    this.values.clear();
  }

  async run(req: SuffixRequest): Promise<SuffixResult> {
    const model = this.model;
    const cfg = model.config;
    const { nLayer: L, nHead: H, dHead: dh, dModel: D, vocabSize: V } = cfg;
    const T = this.T;
    const start = req.start;
    const { from, S, B, capture, l0, editedHooks, actTargets } = planSuffixRun(req, cfg, T, this.fromLayer);
    const causal = isCausal(cfg);
    const shape: RunShape = {
      batch: B,
      rows: S,
      keys: T,
      layers: L - l0,
      gradient: capture.length > 0,
      logits: actTargets ? 'none' : 'last',
      captureFloats: capture.reduce((n, h) => n + B * S * hookInfo(h, cfg).shape(T).slice(1).reduce((a, b) => a * b, 1), 0),
    };
    // Refused before any tensor of the run exists when it would not fit what the backend has free.
    checkRunMemory(cfg, shape, describeRun(shape, 'a suffix run'));

    // Edit maps over the suffix positions, [B, S, ...unit shape]: the engine's maps for the edits moved by −start
    // onto an S-token window (token and head hooks depend on a position only through its own row).
    const shifted = req.edits.map((set) => set.map((e) => ({ ...e, positions: e.positions && e.positions.map((q) => q - from) })));
    const maps = new Map<HookName, { mult: Float32Array | null; add: Float32Array | null; shape: number[] }>();
    for (const h of editedHooks) {
      const m = buildEditMaps(h, shifted, cfg, S, req.means);
      if (!m) continue;
      maps.set(h, { mult: m.mult, add: m.add, shape: [B, S, ...hookInfo(h, cfg).shape(S).slice(1)] });
    }
    const shapeOf = (h: HookName) => [B, S, ...hookInfo(h, cfg).shape(T).slice(1)];
    const captureSet = new Set(capture);
    const actHooks = new Map<HookName, Float32Array>();
    if (actTargets) {
      req.targets.forEach((t, b) => {
        if (t.kind !== 'activation') return;
        const N = hookInfo(t.hook, cfg).units;
        let sel = actHooks.get(t.hook);
        if (!sel) actHooks.set(t.hook, (sel = new Float32Array(B * S * N)));
        for (const p of t.positions) sel[(b * S + p - from) * N + t.index] += 1;
      });
    }

    const w: Weights = model.weights;
    if (req.logits && (actTargets || capture.length > 0)) fail('suffix run: output logits are returned only by runs without activation targets or gradients');
    const out: { tv: tf.Tensor | null; grads: tf.Tensor[]; acts: Map<HookName, tf.Tensor>; logits: tf.Tensor | null } = { tv: null, grads: [], acts: new Map(), logits: null };
    tf.tidy(() => {
      // Query rows start..T−1 against keys 0..T−1, per kind of layer (global or a local window).
      const masks = new Map<number | null, tf.Tensor>();
      const maskFor = (l: number) => {
        const win = cfg.attnWindows[l];
        let m = masks.get(win);
        if (!m) masks.set(win, (m = tf.tensor2d(maskData(S, start, win), [S, T])));
        return m;
      };
      const attention: Attention = !causal ? fullAttention(cfg) : {
        offset: start,
        attend: (l, q, k, v, hl) => {
          const qh = headsFirst(q); // [B, H, S, dh]
          const kh = repeatKv(headsFirst(k), cfg);
          const vh = repeatKv(headsFirst(v), cfg);
          // Scores against the suffix's own keys; for one position an element-wise product (no tiny matmuls).
          const own = S === 1 ? rowDot(qh, kh) : product(qh, tf.transpose(kh, [0, 1, 3, 2]));
          let raw = own;
          let kPre: tf.Tensor | null = null;
          let vPre: tf.Tensor | null = null;
          if (start > 0) {
            // Scores against the cached keys of positions < start, shared by the whole batch: per head one product
            // of [B·S, dh] by [dh, start], instead of B·H small ones on broadcast copies.
            ({ kPre, vPre } = this.prefixKv(l, start));
            const qByHead = tf.reshape(tf.transpose(q, [2, 0, 1, 3]), [H, B * S, dh]);
            const pre = tf.transpose(tf.reshape(product(qByHead, kPre), [H, B, S, start]), [1, 0, 2, 3]);
            raw = tf.concat([pre, own], 3);
          }
          const pattern = patternOf(raw, maskFor(l), cfg, hl);
          const pOwn = start > 0 ? tf.slice(pattern, [0, 0, 0, start], [B, H, S, S]) : pattern;
          let zh = S === 1 ? tf.mul(pOwn, vh) : product(pOwn, vh);
          if (start > 0) {
            const pPre = tf.reshape(tf.transpose(tf.slice(pattern, [0, 0, 0, 0], [B, H, S, start]), [1, 0, 2, 3]), [H, B * S, start]);
            zh = tf.add(tf.transpose(tf.reshape(product(pPre, vPre!), [H, B, S, dh]), [1, 0, 2, 3]), zh);
          }
          return tf.transpose(zh, [0, 2, 1, 3]);
        },
      };
      const forward = (probes: Map<HookName, tf.Tensor>): tf.Tensor1D => {
        let actValue: tf.Tensor | null = null;
        const hook = (name: HookName, x: tf.Tensor): tf.Tensor => {
          let y = x;
          const m = maps.get(name);
          if (m?.mult) y = tf.mul(y, tf.tensor(m.mult, m.shape));
          if (m?.add) y = tf.add(y, tf.tensor(m.add, m.shape));
          if (captureSet.has(name)) out.acts.set(name, tf.keep(tf.clone(y)));
          const p = probes.get(name);
          if (p) y = tf.add(y, p);
          const sel = actHooks.get(name);
          if (sel) {
            const v = tf.sum(tf.mul(y, tf.tensor(sel, y.shape)), [1, 2]);
            actValue = actValue ? tf.add(actValue, v) : v;
          }
          return y;
        };
        const h = (l: number, p: BlockHook, x: tf.Tensor) => hook(hookName(l, p), x);
        let resid: tf.Tensor = tf.broadcastTo(tf.slice(this.residPre.get(l0)!, [0, from, 0], [1, S, D]), [B, S, D]);
        const lastLayer = actTargets ? Math.max(...[...actHooks.keys(), ...capture].map((k) => hookInfo(k, cfg).layer)) : L - 1;
        for (let l = l0; l <= lastLayer; l++) {
          const hl: BlockHookFn = (p, x) => h(l, p, x);
          resid = block(w.blocks[l], cfg, l, resid, attention, hl);
        }
        if (actTargets) return actValue as unknown as tf.Tensor1D;
        const last = tf.reshape(tf.slice(resid, [0, outputPosition(cfg, T) - from, 0], [B, 1, D]), [B, D]);
        const fin = finalNorm(w, cfg, last, (_n, x) => x) as tf.Tensor2D;
        const logitTargets = req.targets as Array<Exclude<SuffixTarget, { kind: 'activation' }>>;
        if (req.logits) out.logits = tf.keep(classify(w, fin));
        // A logit (difference) needs only the target's (and distractor's) unembedding rows, not all V outputs.
        if (!logitTargets.some((t) => t.kind === 'logprob')) return targetLogitRows(w, fin, logitTargets);
        const rows = out.logits ?? classify(w, fin);
        const sel = new Float32Array(B * V);
        const useLp = new Float32Array(B);
        req.targets.forEach((t, i) => {
          if (t.kind === 'activation') return;
          sel[i * V + t.token] += 1;
          if (t.kind === 'logit_diff') sel[i * V + t.distractor] -= 1;
          if (t.kind === 'logprob') useLp[i] = 1;
        });
        let src: tf.Tensor = rows;
        if (useLp.some((x) => x > 0)) {
          const u = tf.tensor2d(useLp, [B, 1]);
          src = tf.add(tf.mul(tf.logSoftmax(rows), u), tf.mul(rows, tf.sub(1, u)));
        }
        return tf.sum(tf.mul(src, tf.tensor2d(sel, [B, V])), 1);
      };
      if (capture.length === 0) {
        out.tv = tf.keep(forward(new Map()));
        return;
      }
      const probeList = capture.map((c) => tf.zeros(shapeOf(c)));
      const f = (...ps: tf.Tensor[]) => {
        const tv = forward(new Map(capture.map((c, i) => [c, ps[i]] as const)));
        out.tv = tf.keep(tv);
        return tf.sum(tv) as tf.Scalar;
      };
      const g = tf.grads(f)(probeList);
      for (const t of g) out.grads.push(tf.keep(rowsFrom(t, start - from)));
    });
    if (start > from) for (const [h, t] of out.acts) out.acts.set(h, tf.tidy(() => rowsFrom(t, start - from)));
    try {
      const targetValues = (await out.tv!.data()) as Float32Array;
      const grads: Record<HookName, TensorData> = {};
      for (let i = 0; i < capture.length; i++) {
        grads[capture[i]] = { shape: [...out.grads[i].shape], data: ((await out.grads[i].data()) as Float32Array).slice() };
      }
      const activations: Record<HookName, TensorData> = {};
      for (const [h, t] of out.acts) activations[h] = { shape: [...t.shape], data: ((await t.data()) as Float32Array).slice() };
      const logits = out.logits ? { shape: [...out.logits.shape], data: ((await out.logits.data()) as Float32Array).slice() } : undefined;
      return { targetValues: targetValues.slice(), grads, activations, ...(logits ? { logits } : {}) };
    } finally {
      out.tv?.dispose();
      out.logits?.dispose();
      for (const t of out.grads) t.dispose();
      for (const t of out.acts.values()) t.dispose();
    }
  }
}

/** Rows r.. of axis 1 (a non-causal run's results cut to the positions from `start` on); disposes the input when it cuts. */
function rowsFrom(t: tf.Tensor, r: number): tf.Tensor {
  if (r === 0) return t;
  const begin = t.shape.map((_, i) => (i === 1 ? r : 0));
  const size = t.shape.map((d, i) => (i === 1 ? d - r : d));
  const out = tf.slice(t, begin, size);
  t.dispose();
  return out;
}
