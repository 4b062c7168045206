/**
 * Training an image classifier: the same AdamW, warm-up + cosine schedule, clipping and resumable state as the text
 * trainer (trainer.ts), over named parameters in the checkpoint's own (Hugging Face) names and a forward pass
 * passed in, so what is trained is exactly what that forward pass computes.
 */
import * as tf from '@tensorflow/tfjs';
import { Rng } from '../analysis/rng';
import { AdamW } from './adamw';
import { learningRate } from './schedule';
import type { HistoryPoint } from './trainer';
import { DIGIT_SIZE, DigitSampler, type Augment, type Digit } from './vision-data';

/** pixel_values [B, C, H, W] → class logits [B, labels]; differentiable in the parameters. */
export type VisionForward = (params: ReadonlyMap<string, tf.Tensor>, pixels: tf.Tensor4D) => tf.Tensor2D;

export interface VisionSettings {
  steps: number;
  batch: number;
  lr: number;
  warmup: number;
  minRatio: number;
  weightDecay: number;
  beta2: number;
  clip: number;
  seed: number;
  evalEvery: number;
  checkpointEvery: number;
  /** Random affine copies of the training digits; null = the digits as they are. */
  augment: Augment | null;
  /** Warm restarts of the learning-rate schedule (a new warm-up + cosine cycle at each step `at`; schedule.ts). */
  restarts?: ReadonlyArray<{ at: number; peak: number }>;
}

export interface VisionState {
  step: number;
  rng: number;
  history: HistoryPoint[];
  elapsedMs: number;
  images: number;
}

export interface VisionHooks {
  evaluate(params: ReadonlyMap<string, tf.Tensor>): Promise<Record<string, number>>;
  onProgress?(p: { step: number; steps: number; loss: number; imagesPerSec: number; lr: number }): void;
  onEval?(step: number, metrics: Record<string, number>): void;
  onCheckpoint?(t: VisionTrainer): Promise<void>;
}

/** Mean cross-entropy of the class logits against the labels. */
export function classLoss(logits: tf.Tensor2D, labels: number[]): tf.Scalar {
  return tf.tidy(() => {
    const lp = tf.logSoftmax(logits);
    return tf.neg(tf.mean(tf.sum(tf.mul(lp, tf.oneHot(tf.tensor1d(labels, 'int32'), logits.shape[1])), -1))) as tf.Scalar;
  });
}

let count = 0;

export class VisionTrainer {
  readonly params = new Map<string, tf.Variable>();
  readonly opt: AdamW;
  readonly sampler: DigitSampler;
  state: VisionState;
  private rng: Rng;

  constructor(
    init: Map<string, tf.Tensor>,
    readonly forward: VisionForward,
    train: Digit[],
    readonly settings: VisionSettings,
    decays: (name: string) => boolean,
  ) {
    const id = count++;
    for (const [k, t] of init) {
      this.params.set(k, tf.variable(t, true, `vision${id}/${k}`));
      t.dispose();
    }
    this.opt = new AdamW(this.params, { beta1: 0.9, beta2: settings.beta2, eps: 1e-8, weightDecay: settings.weightDecay, clip: settings.clip, decays });
    this.sampler = new DigitSampler(train, settings.augment, settings.seed);
    this.rng = new Rng(settings.seed * 7919 + 1);
    this.state = { step: 0, rng: this.rng.state, history: [], elapsedMs: 0, images: 0 };
  }

  /** Restores weights, optimiser moments and counters saved by `snapshot`. */
  restore(s: { state: VisionState; tensors: Map<string, Float32Array> }): void {
    for (const [k, p] of this.params) {
      for (const [name, v] of [[k, p], [`adam_m.${k}`, this.opt.m.get(k)!], [`adam_v.${k}`, this.opt.v.get(k)!]] as const) {
        const data = s.tensors.get(name);
        if (!data || data.length !== p.size) throw new Error(`trainer checkpoint: tensor "${name}" is missing or has the wrong size`);
        v.assign(tf.tensor(data, p.shape));
      }
    }
    this.state = s.state;
    this.opt.step = s.state.step;
    this.rng = new Rng(s.state.rng);
  }

  /** Parameters (checkpoint names) and AdamW moments, for resuming. */
  async snapshot(): Promise<Array<{ name: string; shape: number[]; data: Float32Array }>> {
    const out: Array<{ name: string; shape: number[]; data: Float32Array }> = [];
    for (const [k, p] of this.params) {
      out.push({ name: k, shape: p.shape, data: (await p.data()) as Float32Array });
      out.push({ name: `adam_m.${k}`, shape: p.shape, data: (await this.opt.m.get(k)!.data()) as Float32Array });
      out.push({ name: `adam_v.${k}`, shape: p.shape, data: (await this.opt.v.get(k)!.data()) as Float32Array });
    }
    return out;
  }

  async run(h: VisionHooks): Promise<void> {
    const s = this.settings;
    const vars = [...this.params.values()];
    const names = [...this.params.keys()];
    let windowStart = performance.now();
    while (this.state.step < s.steps) {
      const step = this.state.step;
      const lr = learningRate(step, { peak: s.lr, warmup: s.warmup, total: s.steps, minRatio: s.minRatio, restarts: s.restarts });
      const b = this.sampler.batch(step, s.batch, this.rng);
      const { value, grads } = tf.variableGrads(
        () => tf.tidy(() => classLoss(this.forward(this.params, tf.tensor4d(b.pixels, [s.batch, 1, DIGIT_SIZE, DIGIT_SIZE])), b.labels)),
        vars,
      );
      const byKey = new Map<string, tf.Tensor>();
      names.forEach((k, i) => byKey.set(k, grads[vars[i].name]));
      this.opt.apply(byKey, lr);
      const loss = (await value.data())[0];
      value.dispose();
      tf.dispose(Object.values(grads));
      if (!Number.isFinite(loss)) throw new Error(`training diverged: loss ${loss} at step ${step + 1}`);
      this.state.step += 1;
      this.state.images += s.batch;
      this.state.rng = this.rng.state;
      const now = performance.now();
      this.state.elapsedMs += now - windowStart;
      const imagesPerSec = (s.batch * 1000) / Math.max(1, now - windowStart);
      windowStart = now;
      const point: HistoryPoint = { step: this.state.step, train: loss };
      const last = this.state.step === s.steps;
      if (this.state.step % s.evalEvery === 0 || last) {
        point.eval = await h.evaluate(this.params);
        h.onEval?.(this.state.step, point.eval);
        windowStart = performance.now();
      }
      this.state.history.push(point);
      h.onProgress?.({ step: this.state.step, steps: s.steps, loss, imagesPerSec, lr });
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
