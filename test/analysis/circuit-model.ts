/**
 * A two-layer GPT-2 whose weights are written by hand so that it contains a known induction circuit:
 * - layer 0, head 0: a previous-token head (attends from t to t − 1 by position, copies that token into a
 *   "previous token" subspace of the residual stream);
 * - layer 1, head 0: an induction head (its query is the current token, its keys the previous-token subspace: it
 *   attends to the position right after an earlier occurrence of the current token and copies that position's
 *   token into the output);
 * - two distractors: layer 0, head 1 attends evenly to everything and writes a bag of the tokens seen (into the
 *   previous-token subspace, blurring the induction head's keys); layer 1, head 1 attends to its own position and
 *   writes the current token (promoting a wrong next token).
 * The MLPs are zero. Residual layout (d_model 64): dims 0..V−1 token, V..V+T−1 position (one-hot), V+T..2V+T−1
 * previous token; V = 16, T = 32, two heads of 32.
 */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../../src/engine/model';
import type { ModelConfig } from '../../src/engine/types';
import { gpt2Config, gpt2FromFlat, gpt2Shapes } from '../../src/engine/arch/gpt2';
import { modelOf } from '../../src/engine/model';

export const CIRCUIT_V = 16;
export const CIRCUIT_T = 32;

export function circuitModel(): Model {
  const V = CIRCUIT_V;
  const T = CIRCUIT_T;
  const D = 64;
  const dh = 32;
  const cfg: ModelConfig = gpt2Config({ nLayer: 2, nHead: 2, dModel: D, dMlp: 8, vocabSize: V, nCtx: T });
  const TOK = 0;
  const POS = V;
  const PREV = V + T;
  const zeros = (n: number) => new Float32Array(n);
  const flat = new Map<string, tf.Tensor>();
  const put = (k: string, data: Float32Array, shape: number[]) => flat.set(k, tf.tensor(data, shape));

  const wte = zeros(V * D);
  for (let v = 0; v < V; v++) wte[v * D + TOK + v] = 1;
  put('wte.weight', wte, [V, D]);
  const wpe = zeros(T * D);
  for (let t = 0; t < T; t++) wpe[t * D + POS + t] = 1;
  put('wpe.weight', wpe, [T, D]);

  // c_attn [D, 3D]: q columns 0..D−1, k D..2D−1, v 2D..3D−1; head h uses h·dh .. (h+1)·dh − 1 of each.
  const col = (part: 0 | 1 | 2, head: number, j: number) => part * D + head * dh + j;
  for (let l = 0; l < 2; l++) {
    const attn = zeros(D * 3 * D);
    const proj = zeros(D * D);
    const set = (w: Float32Array, cols: number, r: number, c: number, x: number) => (w[r * cols + c] = x);
    if (l === 0) {
      // Head 0: query of position t points at key position t − 1; value = token; output → previous-token dims.
      for (let t = 1; t < T; t++) set(attn, 3 * D, POS + t, col(0, 0, t - 1), 3);
      for (let j = 0; j < T; j++) set(attn, 3 * D, POS + j, col(1, 0, j), 1);
      for (let v = 0; v < V; v++) set(attn, 3 * D, TOK + v, col(2, 0, v), 1);
      for (let v = 0; v < V; v++) set(proj, D, 0 * dh + v, PREV + v, 0.25);
      // Head 1: no query (even attention); value = token; output → previous-token dims, weakly (a blur).
      for (let v = 0; v < V; v++) set(attn, 3 * D, TOK + v, col(2, 1, v), 1);
      for (let v = 0; v < V; v++) set(proj, D, 1 * dh + v, PREV + v, 0.06);
    } else {
      // Head 0: query = current token, keys = previous-token dims; value = token; output → token dims.
      for (let v = 0; v < V; v++) set(attn, 3 * D, TOK + v, col(0, 0, v), 2);
      for (let v = 0; v < V; v++) set(attn, 3 * D, PREV + v, col(1, 0, v), 1);
      for (let v = 0; v < V; v++) set(attn, 3 * D, TOK + v, col(2, 0, v), 1);
      for (let v = 0; v < V; v++) set(proj, D, 0 * dh + v, TOK + v, 1);
      // Head 1: attends to its own position; writes the current token (weakly).
      for (let t = 0; t < T; t++) set(attn, 3 * D, POS + t, col(0, 1, t), 3);
      for (let j = 0; j < T; j++) set(attn, 3 * D, POS + j, col(1, 1, j), 1);
      for (let v = 0; v < V; v++) set(attn, 3 * D, TOK + v, col(2, 1, v), 1);
      for (let v = 0; v < V; v++) set(proj, D, 1 * dh + v, TOK + v, 0.15);
    }
    const p = `h.${l}.`;
    put(`${p}attn.c_attn.weight`, attn, [D, 3 * D]);
    put(`${p}attn.c_proj.weight`, proj, [D, D]);
  }
  // Everything else: layer norms 1/0, biases 0, MLPs 0.
  for (const [key, shape] of gpt2Shapes(cfg)) {
    if (flat.has(key)) continue;
    const n = shape.reduce((a, b) => a * b, 1);
    put(key, /ln_\d\.weight$|ln_f\.weight$/.test(key) ? new Float32Array(n).fill(1) : zeros(n), shape);
  }
  return modelOf('circuit', cfg, gpt2FromFlat(cfg, flat));
}
