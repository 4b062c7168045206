/**
 * The tensor primitives of the forward pass (products, Conv1D, layer norm, activations), shared by the engine's
 * forward pass and the analysis code that recomputes parts of it (suffix runs), so both do the same arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelConfig } from './types';
import type { Affine } from './weights';

export function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(t, perm);
}

/** Multiply-adds per product above which even a batch of up to 64 is split on WASM (e.g. GPT-2-small's heads). */
const SPLIT_MIN_WORK = 256 * 1024;

/**
 * Plain product of rank-2 or batched rank-4 tensors. The WASM backend's batched matmul takes a slow path for
 * a batch of more than one, so there a small batch (a few heads of one sequence) is split into 2-D products
 * (fast XNNPACK kernels), and so is a larger batch of large products (12 heads × [128, 64] · [64, 128]: 1.7×
 * faster split). For many small products the per-op cost of splitting outweighs the gain.
 */
export function product(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((x, y) => x * y, 1);
  if (a.rank === 2 || tf.getBackend() !== 'wasm') return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  if (batch > 8 && (batch > 64 || m * k * n < SPLIT_MIN_WORK)) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  const N = batch;
  const as = tf.split(tf.reshape(a, [N * m, k]), N, 0);
  const bs = tf.split(tf.reshape(b, [N * k, n]), N, 0);
  const out = tf.concat(as.map((ai, i) => tf.matMul(ai as tf.Tensor2D, bs[i] as tf.Tensor2D)), 0);
  return tf.reshape(out, [...lead, m, n]);
}

/**
 * a · b (rank 2, or rank 4 batched) whose gradient multiplies by explicitly transposed copies: on the WASM
 * backend a matmul that transposes an operand internally is several times slower than transposing first.
 */
export const mm = tf.customGrad(((a: tf.Tensor, b: tf.Tensor, save: tf.GradSaveFunc) => {
  save([a, b]);
  return {
    value: product(a, b),
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => [product(dy, swapLast(saved[1])), product(swapLast(saved[0]), dy)],
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (a: tf.Tensor, b: tf.Tensor) => tf.Tensor;

/** x [B, T, in] · W [in, out] + b, the Conv1D of Hugging Face GPT-2. */
export function linear(x: tf.Tensor, p: Affine): tf.Tensor {
  const [B, T, D] = x.shape;
  const out = p.weight.shape[1]!;
  return tf.add(mm(tf.reshape(x, [B * T, D]), p.weight), p.bias).reshape([B, T, out]);
}

export function layerNorm(x: tf.Tensor, w: tf.Tensor, b: tf.Tensor, eps: number): tf.Tensor {
  const mu = tf.mean(x, -1, true);
  const xc = tf.sub(x, mu);
  const variance = tf.mean(tf.square(xc), -1, true);
  return tf.add(tf.mul(tf.mul(xc, tf.rsqrt(tf.add(variance, eps))), w), b);
}

const GELU_C = Math.sqrt(2 / Math.PI);

export function activation(x: tf.Tensor, kind: ModelConfig['activation']): tf.Tensor {
  if (kind === 'relu') return tf.relu(x);
  if (kind === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  // gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·sigmoid(2·√(2/π)·(x + 0.044715·x³)),
  // the same function (0.5·(1 + tanh z) = sigmoid(2z)); sigmoid and x·x·x are far faster than tanh and pow on WASM.
  const cube = tf.mul(tf.mul(x, x), x);
  const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), 2 * GELU_C);
  return tf.mul(x, tf.sigmoid(inner));
}
