import * as tf from '@tensorflow/tfjs';
import './wasm-kernels';
import { block, embed, embedPatches, finalNorm, fullAttention, maskCachedTensors, type BlockHookFn } from './block';
import { hookName } from './hooks';
import { product } from './ops';
import { rotaryCachedTensors } from './rotary';
import type { HookName, ModelConfig } from './types';
import { unembedMatrix, type Weights } from './weights';
import { transposeCachedTensors, transposeWeight } from './weight-transposes';

/**
 * Called at every hook point with the hook's value; returns the value later layers see.
 * Plain functions of this type are how captures, edits and gradient probes enter a run.
 */
export type HookFn = (name: HookName, x: tf.Tensor) => tf.Tensor;

const identity: HookFn = (_n, x) => x;

/** Tensors the engine keeps alive between calls (masks, rotary tables); memory tests discount them. */
export function cachedTensorCount(): number {
  return maskCachedTensors() + rotaryCachedTensors() + transposeCachedTensors();
}

/**
 * The forward pass up to the final norm (after its weight and bias), for any architecture. `input` is int32 ids
 * [B, T], or for vision models the patch rows [B, P, C·p·p] (inputs.ts `unfoldPatches`).
 * Differentiable; call inside tidy/grads.
 */
export function forwardResidual(w: Weights, cfg: ModelConfig, input: tf.Tensor, hook: HookFn = identity): tf.Tensor {
  let resid = cfg.vision ? embedPatches(w, cfg, input, hook) : embed(w, cfg, input as tf.Tensor2D, 0, hook);
  const attn = fullAttention(cfg);
  for (let l = 0; l < cfg.nLayer; l++) {
    const hl: BlockHookFn = (p, x) => hook(hookName(l, p), x);
    resid = block(w.blocks[l], cfg, l, resid, attn, hl);
  }
  return finalNorm(w, cfg, resid, hook);
}

/** Unembedding: x [..., D] → logits [..., V]. */
export function unembed(w: Weights, x: tf.Tensor): tf.Tensor {
  const D = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, D]) as tf.Tensor2D;
  const logits = timesUnembedT(flat, unembedMatrix(w));
  return tf.reshape(logits, [...lead, logits.shape[1]!]);
}

/** Rows up to which x · Eᵀ is computed as (E · xᵀ)ᵀ on WASM (measured: 45 vs 140–560 ms for 1–8 rows of GPT-2 small). */
const FEW_ROWS = 32;

/**
 * Rows [R, D] times the transpose of a [V, D] matrix (the unembedding or a classifier): [R, V]. On WASM a product
 * whose operand is transposed by the kernel's flag runs several times slower than one without (the flag copies
 * the transposed operand at every call), so few rows multiply E by the transposed rows — a copy of R·D numbers —
 * and many rows multiply by Eᵀ, kept once made (src/engine/weight-transposes.ts). Other backends keep the flag,
 * which costs them nothing.
 */
export function timesUnembedT(rows: tf.Tensor2D, E: tf.Tensor2D): tf.Tensor2D {
  if (tf.getBackend() !== 'wasm') return tf.matMul(rows, E, false, true);
  if (rows.shape[0] <= FEW_ROWS) return tf.transpose(tf.matMul(E, tf.transpose(rows))) as tf.Tensor2D;
  return product(rows, transposeWeight(E)) as tf.Tensor2D;
}

/**
 * The model's output from the final-normed residual [B, T, D]: next-token logits at every position [B, T, V], or
 * for vision models the classifier on the [CLS] token (position 0), [B, labels].
 */
export function outputLogits(w: Weights, cfg: ModelConfig, fin: tf.Tensor): tf.Tensor {
  if (!cfg.vision) return unembed(w, fin);
  const [B, , D] = fin.shape;
  return classify(w, tf.reshape(tf.slice(fin, [0, 0, 0], [B, 1, D]), [B, D]));
}

/** Final-normed rows [B, D] → output rows [B, V]: the unembedding, plus the classifier's bias of vision models. */
export function classify(w: Weights, rows: tf.Tensor): tf.Tensor {
  const out = timesUnembedT(rows as tf.Tensor2D, unembedMatrix(w));
  return w.unembedBias ? tf.add(out, w.unembedBias) : out;
}

/**
 * logit(t) or logit(t) − logit(d) for each final-normed row [B, D]: the dot product with the unembedding's rows of
 * t (and d), plus the classifier's bias where there is one — the same sums as the full output's entries, without
 * the other V − 2.
 */
export function targetLogitRows(w: Weights, rows: tf.Tensor2D, targets: ReadonlyArray<{ kind: string; token: number; distractor?: number }>): tf.Tensor1D {
  const E = unembedMatrix(w);
  const diff = targets.map((t) => (t.kind === 'logit_diff' ? 1 : 0));
  const tokens = tf.tensor1d(targets.map((t) => t.token), 'int32');
  const distractors = tf.tensor1d(targets.map((t) => (t.kind === 'logit_diff' ? t.distractor! : 0)), 'int32');
  let dir = tf.gather(E, tokens);
  const anyDiff = diff.some((x) => x > 0);
  const mask = tf.tensor2d(diff, [targets.length, 1]);
  if (anyDiff) dir = tf.sub(dir, tf.mul(tf.gather(E, distractors), mask));
  let out: tf.Tensor1D = tf.sum(tf.mul(rows, dir), 1);
  if (w.unembedBias) {
    let b = tf.gather(w.unembedBias, tokens);
    if (anyDiff) b = tf.sub(b, tf.mul(tf.gather(w.unembedBias, distractors), tf.reshape(mask, [-1])));
    out = tf.add(out, b);
  }
  return out;
}

/** Plain differentiable forward: ids [B, T] → logits [B, T, V]. Used by training. */
export function forwardLogits(w: Weights, cfg: ModelConfig, ids: tf.Tensor2D): tf.Tensor3D {
  return unembed(w, forwardResidual(w, cfg, ids)) as tf.Tensor3D;
}
