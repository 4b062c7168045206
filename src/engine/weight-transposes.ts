/**
 * Transposed copies of a model's weight matrices, made once and kept, for the products that need Wᵀ on WASM with
 * many rows: the unembedding x · Eᵀ of more than a few rows, and the backward pass's products with batched
 * operands. There a product with an operand transposed by the kernel's flag is several times slower than one with
 * a transposed copy, and the copy itself costs tens of ms, so it is made once. (The backward pass's dX = dY · Wᵀ for
 * a weight matrix needs none: it is computed as (W · dYᵀ)ᵀ, src/engine/ops.ts.)
 *
 * Copies are made on first use, only for tensors registered by `rememberWeights` (a model's weights; data, not
 * activations), and only while they total at most `TRANSPOSE_BUDGET_BYTES`: beyond it the product transposes as
 * before, so the memory a model takes stays bounded (at most the budget over its weights). `forgetWeights` frees
 * them with the model. Tensors whose values change (training variables) are never registered.
 */
import * as tf from '@tensorflow/tfjs';
import { weightTensors, type Weights } from './weights';

/** Most bytes of transposed copies kept (all models together). */
export const TRANSPOSE_BUDGET_BYTES = 1024 * 1024 * 1024;

type DataId = object;
const eligible = new WeakSet<DataId>();
/** Per weight's data: its transposed copies by the shape they were asked for (a reshape shares the data). */
const copies = new Map<DataId, Map<string, tf.Tensor>>();
let bytes = 0;

function swapLastTwo(t: tf.Tensor): tf.Tensor {
  const perm = t.shape.map((_, i) => i);
  const n = perm.length;
  [perm[n - 2], perm[n - 1]] = [perm[n - 1], perm[n - 2]];
  return tf.transpose(t, perm);
}

/** Registers a model's matrices (rank ≥ 2) as weights whose transposes may be kept. */
export function rememberWeights(w: Weights): void {
  for (const t of weightTensors(w)) if (t.rank >= 2) eligible.add(t.dataId);
}

/** Frees the kept transposes of a model's weights (call before disposing them). */
export function forgetWeights(w: Weights): void {
  for (const t of weightTensors(w)) {
    eligible.delete(t.dataId);
    const m = copies.get(t.dataId);
    if (!m) continue;
    for (const c of m.values()) {
      bytes -= c.size * 4;
      c.dispose();
    }
    copies.delete(t.dataId);
  }
}

/**
 * `t` with its last two axes swapped: a kept copy when `t` holds a registered weight (made now if the budget allows),
 * else a fresh transpose. A kept copy is never to be disposed by the caller (tidy leaves it alone).
 */
export function transposeWeight(t: tf.Tensor): tf.Tensor {
  if (!eligible.has(t.dataId)) return swapLastTwo(t);
  const key = t.shape.join('x');
  const m = copies.get(t.dataId);
  const hit = m?.get(key);
  if (hit && !hit.isDisposed) return hit;
  if (bytes + t.size * 4 > TRANSPOSE_BUDGET_BYTES) return swapLastTwo(t);
  const copy = tf.keep(tf.tidy(() => swapLastTwo(t)));
  bytes += copy.size * 4;
  (m ?? copies.set(t.dataId, new Map()).get(t.dataId)!).set(key, copy);
  return copy;
}

/** Tensors kept here (memory tests discount them, as they do masks and rotary tables). */
export function transposeCachedTensors(): number {
  let n = 0;
  for (const m of copies.values()) n += m.size;
  return n;
}

/** Bytes kept here. */
export function transposeCachedBytes(): number {
  return bytes;
}
