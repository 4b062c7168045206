/**
 * The tensor primitives of the forward pass (products, Conv1D, layer norm, activations), shared by the engine's
 * forward pass and the analysis code that recomputes parts of it (suffix runs), so both do the same arithmetic.
 */
import * as tf from '@tensorflow/tfjs';
import type { GradRules, ModelConfig } from './types';
import type { Linear, Norm } from './weights';
import { transposeWeight } from './weight-transposes';

export function swapLast(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(t, perm);
}

/** Multiply-adds per product from which a batched product is split on WASM. */
const SPLIT_MIN_WORK = 16 * 1024;

/**
 * Plain product of rank-2 or batched tensors. The WASM backend's batched matmul takes a slow path for a batch of
 * more than one, so there a batch of products of some size is split into 2-D products (fast XNNPACK kernels):
 * measured on 2 cores, 12 × [128, 64]·[64, 128] 3.3 ms split vs 16.5 ms batched, 48 × [64, 16]·[16, 64] 3.3 vs
 * 4.3 ms; but 16 × [1, 32]·[32, 64] (one query row, as in generation) 1.2 ms split vs 0.04 ms batched.
 */
export function product(a: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const lead = a.shape.slice(0, -2);
  const batch = lead.reduce((x, y) => x * y, 1);
  if (a.rank === 2 || batch === 1 || tf.getBackend() !== 'wasm') return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  const [m, k] = a.shape.slice(-2);
  const n = b.shape[b.rank - 1];
  if (m * k * n < SPLIT_MIN_WORK) return tf.matMul(a as tf.Tensor2D, b as tf.Tensor2D);
  const N = batch;
  const as = tf.split(tf.reshape(a, [N * m, k]), N, 0);
  const bs = tf.split(tf.reshape(b, [N * k, n]), N, 0);
  const out = tf.concat(as.map((ai, i) => tf.matMul(ai as tf.Tensor2D, bs[i] as tf.Tensor2D)), 0);
  return tf.reshape(out, [...lead, m, n]);
}

/**
 * The gradient of matmul (kernel BatchMatMul), registered in place of tfjs's own. Two differences:
 * - on WASM it multiplies explicitly transposed copies: a matmul that transposes an operand internally is several
 *   times slower there than transposing first (other backends keep the transpose flags, which cost nothing);
 * - like tfjs's, each input's gradient is a function that runs only when that input is on the path being
 *   differentiated, so a gradient with respect to activations skips the weight gradients (half the backward
 *   products). A `tf.customGrad` wrapper would compute both eagerly.
 */
tf.registerGradient({
  kernelName: 'BatchMatMul',
  inputsToSave: ['a', 'b'],
  gradFunc: (dy: tf.Tensor | tf.Tensor[], saved: tf.Tensor[], attrs: tf.NamedAttrMap | undefined) => {
    const g = dy as tf.Tensor;
    const [a, b] = saved;
    const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
    if (tf.getBackend() !== 'wasm') {
      if (!transposeA && !transposeB) return { a: () => tf.matMul(g, b, false, true), b: () => tf.matMul(a, g, true, false) };
      if (!transposeA && transposeB) return { a: () => tf.matMul(g, b, false, false), b: () => tf.matMul(g, a, true, false) };
      if (transposeA && !transposeB) return { a: () => tf.matMul(b, g, false, true), b: () => tf.matMul(a, g, false, false) };
      return { a: () => tf.matMul(b, g, true, true), b: () => tf.matMul(g, a, true, true) };
    }
    // dA = dY · Bᵀ for a matrix B (a weight) as (B · dYᵀ)ᵀ: B is read as it is stored and only dY, [rows, n], and the
    // result are transposed. Measured on WASM with GPT-2-small matrices, 6 to 512 rows: as fast as or faster than a
    // product with a kept copy of Bᵀ (2 rows: about 1 ms slower), with no copy to make (48 matrices, 340 MB and
    // about 2 s before the first gradient run) or keep. The other products below transpose activations afresh and a
    // weight only through transposeWeight (weight-transposes.ts: kept copies, as the unembedding of many rows uses).
    const T = transposeWeight;
    if (!transposeA && !transposeB) return { a: () => (g.rank === 2 && b.rank === 2 ? tf.transpose(tf.matMul(b, tf.transpose(g))) : product(g, T(b))), b: () => product(T(a), g) };
    if (!transposeA && transposeB) return { a: () => product(g, b), b: () => product(T(g), a) };
    if (transposeA && !transposeB) return { a: () => product(b, T(g)), b: () => product(a, g) };
    return { a: () => product(T(b), T(g)), b: () => product(T(g), T(a)) };
  },
});

/** x [B, T, in] · W [in, out] (+ b): the canonical linear map (weights [in, out]). */
export function linear(x: tf.Tensor, p: Linear): tf.Tensor {
  const [B, T, D] = x.shape;
  const out = p.weight.shape[1]!;
  const y = product(tf.reshape(x, [B * T, D]), p.weight);
  return (p.bias ? tf.add(y, p.bias) : y).reshape([B, T, out]);
}

type CustomGradFn = Parameters<typeof tf.customGrad>[0];

/**
 * f(x) with no gradient into x: a stop-gradient. f runs outside the tape (as a custom-gradient kernel), so the
 * backward pass neither records nor differentiates it; x receives zeros.
 */
export function withoutGrad(x: tf.Tensor, f: (x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const shape = x.shape;
  const op = tf.customGrad(((xi: tf.Tensor) => ({ value: f(xi), gradFunc: () => tf.zeros(shape) })) as unknown as CustomGradFn);
  return op(x);
}

/**
 * The normalisation before its weight and bias (what `ln*.hook_normalized` carries):
 * LayerNorm (x − mean)/sqrt(var + eps), RMSNorm x/sqrt(mean(x²) + eps).
 * With `lrp` rules (LN-rule) the scale 1/sqrt(…) is a constant of the backward pass; the mean-centering is
 * linear and is differentiated.
 */
export function normalize(x: tf.Tensor, kind: ModelConfig['norm'], eps: number, rules: GradRules = 'exact'): tf.Tensor {
  if (rules === 'lrp') {
    const centre = (v: tf.Tensor) => (kind === 'rmsnorm' ? v : tf.sub(v, tf.mean(v, -1, true)));
    const scale = withoutGrad(x, (xi) => tf.rsqrt(tf.add(tf.mean(tf.square(centre(xi)), -1, true), eps)));
    return tf.mul(centre(x), scale);
  }
  if (kind === 'rmsnorm') return tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)));
  const xc = tf.sub(x, tf.mean(x, -1, true));
  return tf.mul(xc, tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), eps)));
}

/** The norm's weight and bias applied to a normalised value. */
export function normAffine(x: tf.Tensor, p: Norm): tf.Tensor {
  const y = tf.mul(x, p.weight);
  return p.bias ? tf.add(y, p.bias) : y;
}

const GELU_C = Math.sqrt(2 / Math.PI);

/**
 * act(x)/x in closed form, finite everywhere: at x = 0 it is the limit act'(0) (½ for GELU and SiLU; 0 for ReLU,
 * whose ratio is the step function).
 */
export function activationRatio(x: tf.Tensor, kind: ModelConfig['activation']): tf.Tensor {
  if (kind === 'relu') return tf.cast(tf.greater(x, 0), 'float32');
  if (kind === 'silu') return tf.sigmoid(x);
  if (kind === 'gelu') return tf.mul(0.5, tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  const cube = tf.mul(tf.mul(x, x), x);
  return tf.sigmoid(tf.mul(tf.add(x, tf.mul(cube, 0.044715)), 2 * GELU_C));
}

/**
 * The MLP nonlinearity. With `lrp` rules (identity rule) it is x · stopgrad(act(x)/x): the same value, and the
 * backward pass multiplies by act(x)/x instead of act'(x).
 */
export function activation(x: tf.Tensor, kind: ModelConfig['activation'], rules: GradRules = 'exact'): tf.Tensor {
  if (rules === 'lrp') return tf.mul(x, withoutGrad(x, (xi) => activationRatio(xi, kind)));
  if (kind === 'relu') return tf.relu(x);
  if (kind === 'silu') return tf.mul(x, tf.sigmoid(x));
  if (kind === 'gelu') return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
  // gelu_new: 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), computed as x·sigmoid(2·√(2/π)·(x + 0.044715·x³)),
  // the same function (0.5·(1 + tanh z) = sigmoid(2z)); sigmoid and x·x·x are far faster than tanh and pow on WASM.
  const cube = tf.mul(tf.mul(x, x), x);
  const inner = tf.mul(tf.add(x, tf.mul(cube, 0.044715)), 2 * GELU_C);
  return tf.mul(x, tf.sigmoid(inner));
}

/**
 * a · b. With `lrp` rules (half rule) each factor receives half of the product's gradient times the other:
 * y = ½(a·stopgrad(b) + stopgrad(a)·b), the same value.
 */
export function gateProduct(a: tf.Tensor, b: tf.Tensor, rules: GradRules = 'exact'): tf.Tensor {
  if (rules !== 'lrp') return tf.mul(a, b);
  const op = tf.customGrad(((ai: tf.Tensor, bi: tf.Tensor, save: tf.GradSaveFunc) => {
    save([ai, bi]);
    return { value: tf.mul(ai, bi), gradFunc: (dy: tf.Tensor, [sa, sb]: tf.Tensor[]) => [tf.mul(tf.mul(dy, sb), 0.5), tf.mul(tf.mul(dy, sa), 0.5)] };
  }) as unknown as CustomGradFn);
  return op(a, b);
}
