import * as tf from '@tensorflow/tfjs';
import { forwardLogits } from '../engine/forward';
import { initFlat } from '../engine/init';
import type { ModelConfig } from '../engine/types';
import { gpt2FromFlat } from '../engine/arch/gpt2';
import type { Weights } from '../engine/weights';
import { AdamW } from './adamw';
import { Rng } from '../analysis/rng';
import { learningRate } from './schedule';

export interface TrainSettings {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  minRatio: number;
  weightDecay: number;
  clip: number;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  /**
   * Initialise the (still learned) position embeddings with sines and cosines of this amplitude instead of
   * N(0, 0.02): relative positions are then linearly readable from the start, which speeds up heads that
   * attend by offset (a previous-token head). The architecture is unchanged.
   */
  sinusoidalPositions?: number;
  /** Warm restarts of the learning-rate schedule (a new warm-up + cosine cycle at each step `at`). */
  restarts?: ReadonlyArray<{ at: number; peak: number }>;
  /** Stop at this step, with the learning-rate schedule still planned for `steps` (a shortened run). */
  stopAt?: number;
}

export interface Batch {
  x: number[][];
  y: number[][];
}

export interface HistoryPoint {
  step: number;
  train: number;
  eval?: Record<string, number>;
}

export interface TrainerState {
  step: number;
  rng: number;
  history: HistoryPoint[];
  elapsedMs: number;
  tokens: number;
  /** Set when `stopWhen` ended the run before `steps` (a resumed run then does nothing). */
  stoppedEarly?: boolean;
}

export interface TrainHooks {
  sample(rng: Rng): Batch;
  evaluate(w: Weights): Promise<Record<string, number>>;
  onProgress?(p: { step: number; steps: number; loss: number; tokensPerSec: number; etaSec: number; lr: number }): void;
  onEval?(step: number, metrics: Record<string, number>): void;
  onCheckpoint?(t: Trainer): Promise<void>;
  /** Checked after each evaluation: true ends training there (with a checkpoint). */
  stopWhen?(metrics: Record<string, number>): boolean;
}

/** Next-token cross-entropy of a batch (mean over tokens). */
export function batchLoss(w: Weights, cfg: ModelConfig, b: Batch): tf.Scalar {
  return tf.tidy(() => {
    const B = b.x.length;
    const T = b.x[0].length;
    const x = tf.tensor2d(b.x, [B, T], 'int32');
    const y = tf.tensor2d(b.y, [B, T], 'int32');
    const lp = tf.logSoftmax(forwardLogits(w, cfg, x));
    return tf.neg(tf.mean(tf.sum(tf.mul(lp, tf.oneHot(y, cfg.vocabSize)), -1))) as tf.Scalar;
  });
}

let trainerCount = 0;

/** GPT-2 training with AdamW, warm-up + cosine decay, global-norm clipping; resumable. */
export class Trainer {
  readonly params = new Map<string, tf.Variable>();
  readonly weights: Weights;
  readonly opt: AdamW;
  state: TrainerState;
  private rng: Rng;

  constructor(readonly cfg: ModelConfig, readonly settings: TrainSettings) {
    const id = trainerCount++;
    const flat = new Map<string, tf.Tensor>();
    const init = initFlat(cfg, settings.seed);
    if (settings.sinusoidalPositions) {
      init.get('wpe.weight')!.dispose();
      init.set('wpe.weight', sinusoidalPositions(cfg.nCtx, cfg.dModel, settings.sinusoidalPositions));
    }
    for (const [k, t] of init) {
      const v = tf.variable(t, true, `trainer${id}/${k}`);
      t.dispose();
      this.params.set(k, v);
      flat.set(k, v);
    }
    this.weights = gpt2FromFlat(cfg, flat);
    this.opt = new AdamW(this.params, { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: settings.weightDecay, clip: settings.clip });
    this.rng = new Rng(settings.seed * 7919 + 1);
    this.state = { step: 0, rng: this.rng.state, history: [], elapsedMs: 0, tokens: 0 };
  }

  /** Restores weights, optimiser moments and counters saved by `snapshot`. */
  restore(s: { state: TrainerState; tensors: Map<string, Float32Array> }): void {
    for (const [k, p] of this.params) {
      p.assign(tf.tensor(s.tensors.get(k)!, p.shape));
      this.opt.m.get(k)!.assign(tf.tensor(s.tensors.get(`adam_m.${k}`)!, p.shape));
      this.opt.v.get(k)!.assign(tf.tensor(s.tensors.get(`adam_v.${k}`)!, p.shape));
    }
    this.state = s.state;
    this.opt.step = s.state.step;
    this.rng = new Rng(s.state.rng);
  }

  /** Every tensor needed to resume: parameters (HF keys) and moments, as float32 arrays. */
  async snapshot(): Promise<Array<{ name: string; shape: number[]; data: Float32Array }>> {
    const out: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
    for (const [k, p] of this.params) {
      out.push({ name: k, shape: p.shape, data: (await p.data()) as Float32Array });
      out.push({ name: `adam_m.${k}`, shape: p.shape, data: (await this.opt.m.get(k)!.data()) as Float32Array });
      out.push({ name: `adam_v.${k}`, shape: p.shape, data: (await this.opt.v.get(k)!.data()) as Float32Array });
    }
    return out;
  }

  async run(h: TrainHooks): Promise<void> {
    const s = this.settings;
    const vars = [...this.params.values()];
    const names = [...this.params.keys()];
    let windowStart = performance.now();
    let windowTokens = 0;
    while (this.state.step < Math.min(s.steps, s.stopAt ?? Infinity) && !this.state.stoppedEarly) {
      const step = this.state.step;
      const lr = learningRate(step, { peak: s.lr, warmup: s.warmup, total: s.steps, minRatio: s.minRatio, restarts: s.restarts });
      const batch = h.sample(this.rng);
      const { value, grads } = tf.variableGrads(() => batchLoss(this.weights, this.cfg, batch), vars);
      const byKey = new Map<string, tf.Tensor>();
      names.forEach((k, i) => byKey.set(k, grads[vars[i].name]));
      this.opt.apply(byKey, lr);
      const loss = (await value.data())[0];
      value.dispose();
      tf.dispose(Object.values(grads));
      const tokens = batch.x.length * batch.x[0].length;
      this.state.step += 1;
      this.state.tokens += tokens;
      this.state.rng = this.rng.state;
      windowTokens += tokens;
      const now = performance.now();
      this.state.elapsedMs += now - windowStart;
      const tps = (windowTokens * 1000) / Math.max(1, now - windowStart);
      windowStart = now;
      windowTokens = 0;
      const point: HistoryPoint = { step: this.state.step, train: loss };
      let last = this.state.step === s.steps;
      if (this.state.step % s.evalEvery === 0 || last) {
        point.eval = await h.evaluate(this.weights);
        h.onEval?.(this.state.step, point.eval);
        if (!last && h.stopWhen?.(point.eval)) {
          this.state.stoppedEarly = true;
          last = true;
        }
        windowStart = performance.now();
      }
      this.state.history.push(point);
      h.onProgress?.({ step: this.state.step, steps: s.steps, loss, tokensPerSec: tps, etaSec: ((s.steps - this.state.step) * tokens) / Math.max(1, tps), lr });
      if (this.state.step % s.checkpointEvery === 0 || last) {
        await h.onCheckpoint?.(this);
        windowStart = performance.now();
      }
    }
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.opt.dispose();
  }
}

/** The transformer's sinusoidal position encoding [n, d] times `amplitude`. */
export function sinusoidalPositions(n: number, d: number, amplitude: number): tf.Tensor2D {
  const out = new Float32Array(n * d);
  for (let p = 0; p < n; p++) {
    for (let i = 0; i < d / 2; i++) {
      const angle = p / Math.pow(10000, (2 * i) / d);
      out[p * d + 2 * i] = amplitude * Math.sin(angle);
      out[p * d + 2 * i + 1] = amplitude * Math.cos(angle);
    }
  }
  return tf.tensor2d(out, [n, d]);
}
