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
  const E = unembedMatrix(w);
  // For a few rows the internal transpose is cheaper than copying a large unembedding; otherwise transpose first.
  const logits = flat.shape[0] < 4 ? tf.matMul(flat, E, false, true) : product(flat, transposeWeight(E));
  return tf.reshape(logits, [...lead, logits.shape[1]!]);
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
  const out = tf.matMul(rows as tf.Tensor2D, unembedMatrix(w), false, true);
  return w.unembedBias ? tf.add(out, w.unembedBias) : out;
}

/** Plain differentiable forward: ids [B, T] → logits [B, T, V]. Used by training. */
export function forwardLogits(w: Weights, cfg: ModelConfig, ids: tf.Tensor2D): tf.Tensor3D {
  return unembed(w, forwardResidual(w, cfg, ids)) as tf.Tensor3D;
}
