import * as tf from '@tensorflow/tfjs';
import { forwardLogits } from '../engine/forward';
import type { ModelConfig } from '../engine/types';
import type { Weights } from '../engine/weights';
import type { InductionSequence } from './induction-data';
import { evalWindows } from './text-data';

/** Mean next-token cross-entropy (nats/token) over windows of T+1 tokens, in batches. */
export async function windowLoss(w: Weights, cfg: ModelConfig, windows: number[][], batch = 16): Promise<number> {
  let total = 0;
  let n = 0;
  for (let i = 0; i < windows.length; i += batch) {
    const chunk = windows.slice(i, i + batch);
    const T = chunk[0].length - 1;
    const lossT = tf.tidy(() => {
      const x = tf.tensor2d(chunk.map((c) => c.slice(0, T)), [chunk.length, T], 'int32');
      const y = tf.tensor2d(chunk.map((c) => c.slice(1)), [chunk.length, T], 'int32');
      const lp = tf.logSoftmax(forwardLogits(w, cfg, x));
      return tf.neg(tf.sum(tf.mul(lp, tf.oneHot(y, cfg.vocabSize))));
    });
    total += (await lossT.data())[0];
    lossT.dispose();
    n += chunk.length * T;
  }
  return total / n;
}

/** Next-token accuracy (argmax) on the repeated part and on the first occurrence of the span. */
export async function inductionAccuracy(w: Weights, cfg: ModelConfig, seqs: InductionSequence[], batch = 32): Promise<{ repeated: number; first: number }> {
  let rep = 0;
  let repN = 0;
  let fst = 0;
  let fstN = 0;
  for (let i = 0; i < seqs.length; i += batch) {
    const chunk = seqs.slice(i, i + batch);
    const T = chunk[0].ids.length - 1;
    const predT = tf.tidy(() => tf.argMax(forwardLogits(w, cfg, tf.tensor2d(chunk.map((s) => s.ids.slice(0, T)), [chunk.length, T], 'int32')), -1));
    const pred = await predT.data();
    predT.dispose();
    chunk.forEach((s, b) => {
      for (const p of s.repeated) (rep += pred[b * T + p] === s.ids[p + 1] ? 1 : 0), repN++;
      for (const p of s.first) (fst += pred[b * T + p] === s.ids[p + 1] ? 1 : 0), fstN++;
    });
  }
  return { repeated: rep / repN, first: fst / fstN };
}

export { bigramLoss } from './text-data';

/**
 * Held-out loss per language: mean next-token cross-entropy (nats/char for a char-level model) over the first
 * `maxWindows` non-overlapping windows of nCtx+1 tokens of each language's encoded held-out text.
 */
export async function heldOutByLanguage(
  w: Weights,
  cfg: ModelConfig,
  val: Record<string, Int32Array>,
  maxWindows = Infinity,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [lang, ids] of Object.entries(val)) out[lang] = await windowLoss(w, cfg, evalWindows(ids, cfg.nCtx, maxWindows));
  return out;
}

/** Greedy continuation: appends `n` argmax tokens to `ids` (the context is cut to the last nCtx tokens). */
export async function greedyContinue(w: Weights, cfg: ModelConfig, ids: number[], n: number): Promise<number[]> {
  const out = [...ids];
  for (let i = 0; i < n; i++) {
    const ctx = out.slice(-cfg.nCtx);
    const t = tf.tidy(() => {
      const logits = forwardLogits(w, cfg, tf.tensor2d([ctx], [1, ctx.length], 'int32'));
      return tf.argMax(logits.slice([0, ctx.length - 1, 0], [1, 1, cfg.vocabSize]).reshape([cfg.vocabSize]));
    });
    out.push((await t.data())[0]);
    t.dispose();
  }
  return out.slice(ids.length);
}
