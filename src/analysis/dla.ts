/**
 * Direct logit attribution (DLA) and the logit lens.
 *
 * DLA: the residual stream entering the final norm at position t is a sum of parts — the token embedding, the
 * position embedding (learned positions only), and per block every head's output z_h · W_O[h] (its d_head rows of
 * the output projection), the attention output bias, every MLP neuron's post_n · W_out[n] and the MLP output
 * bias. What is linearised: the final norm's scale s_t = 1/sqrt(var + eps) (LayerNorm) or 1/sqrt(mean(x²) + eps)
 * (RMSNorm) is frozen at its value on the run; everything else is exactly linear — LayerNorm's mean-centering
 * included. With s_t fixed, the metric at t (the logit of the target, or target − distractor, read at t) is
 *   metric_t = Σ_parts s_t · (part − mean(part)) · (γ ∘ u) + β · u,   u = W_U[target] (− W_U[distractor]),
 * (no centering for RMSNorm, no β for RMSNorm), so the parts' direct contributions plus the final norm's bias
 * term sum to the metric exactly. A part's DLA is not the effect of removing it: removing it would change s_t
 * and every later layer. Log-probabilities are not linear in the residual stream: DLA refuses them.
 *
 * Logit lens: each layer's resid_pre and resid_post, at every position, put through the final norm (with its
 * own scale) and the unembedding, and the metric read from those logits.
 */
import * as tf from '@tensorflow/tfjs';
import { finalNorm } from '../engine/block';
import { fail } from '../engine/errors';
import { unembed } from '../engine/forward';
import { hookName } from '../engine/hooks';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { HookName, TensorData } from '../engine/types';
import { unembedMatrix } from '../engine/weights';
import { headHook, mlpHook } from './scores';
import { targetFromLogits } from './targets';

export type DlaMetric = 'logit' | 'logit_diff';

export interface DlaRequest {
  ids: number[];
  target: number;
  distractor?: number;
  /** Default: `logit_diff` with a distractor, else `logit`. */
  metric?: DlaMetric | 'logprob';
}

export interface DlaResult {
  metric: DlaMetric;
  /** The metric read at every position of the run [T]. */
  values: Float32Array;
  /** The frozen final-norm scale s_t [T]. */
  scale: Float32Array;
  /** Per hook [T, N]: heads of attn.hook_z, neurons of mlp.hook_post; row t is the direct contribution at t. */
  scores: Record<HookName, TensorData>;
  /** The other parts, each [T]: `embed`, `pos_embed` (learned positions), `blocks.L.attn.b_O`, `blocks.L.mlp.b_out`, `ln_final.b` (constant). */
  terms: Record<string, Float32Array>;
  /** Σ of every score and term [T]: equals `values` up to float rounding. */
  reconstruction: Float32Array;
}

function checkTokens(model: Model, req: { ids: number[]; target: number; distractor?: number }): void {
  const V = model.config.vocabSize;
  if (req.ids.length === 0) fail('the prompt is empty: at least one token is needed');
  for (const t of req.distractor === undefined ? [req.target] : [req.target, req.distractor]) {
    if (!Number.isInteger(t) || t < 0 || t >= V) fail(`token ${t} is outside the vocabulary (0..${V - 1})`);
  }
}

export async function directLogitAttribution(model: Model, req: DlaRequest): Promise<DlaResult> {
  const cfg = model.config;
  const { nLayer: L, dModel: D, nHead: H, dHead: dh } = cfg;
  checkTokens(model, req);
  const metric = req.metric ?? (req.distractor !== undefined ? 'logit_diff' : 'logit');
  if (metric === 'logprob') fail('direct logit attribution is defined for logit and logit_diff (a log-probability is not linear in the residual stream); use the logit lens for logprob');
  if (metric !== 'logit' && metric !== 'logit_diff') fail(`metric "${String(metric)}" is not logit or logit_diff`);
  if (metric === 'logit_diff' && req.distractor === undefined) fail('the logit_diff metric needs a distractor token');
  if (metric === 'logit' && req.distractor !== undefined) fail('a distractor is only used with the logit_diff metric');
  const T = req.ids.length;
  const w = model.weights;
  const learned = cfg.positions === 'learned';
  const hooks: HookName[] = ['hook_embed', ...(learned ? ['hook_pos_embed'] : []), `blocks.${L - 1}.hook_resid_post`];
  for (let l = 0; l < L; l++) hooks.push(headHook(l), mlpHook(l));
  const r = await runModel(model, { inputIds: [req.ids], capture: hooks, logits: 'all' });
  const V = cfg.vocabSize;
  const values = Float32Array.from({ length: T }, (_, t) => targetFromLogits({ kind: metric, token: req.target, distractor: req.distractor }, r.logits!.data, t * V, V));
  const act = (h: HookName) => tf.tensor(r.activations[h].data, r.activations[h].shape.slice(1));
  const out = tf.tidy(() => {
    const E = unembedMatrix(w);
    let u = tf.gather(E, [req.target]).reshape([D]);
    if (metric === 'logit_diff') u = tf.sub(u, tf.gather(E, [req.distractor!]).reshape([D]));
    const x = act(`blocks.${L - 1}.hook_resid_post`); // [T, D]
    const xc = cfg.norm === 'rmsnorm' ? x : tf.sub(x, tf.mean(x, -1, true));
    const scale = tf.rsqrt(tf.add(tf.mean(tf.square(xc), -1, true), cfg.layerNormEps)); // [T, 1]
    // Per position, the direction a part is read along: s_t · (γ ∘ u), centred for LayerNorm (c · P(w) = (c − c̄) · w).
    const gu = tf.mul(w.lnFinal.weight, u);
    const dir = cfg.norm === 'rmsnorm' ? gu : tf.sub(gu, tf.mean(gu));
    const dirs = tf.mul(scale, dir.reshape([1, D])); // [T, D]
    const read = (rows: tf.Tensor) => tf.sum(tf.mul(rows, dirs), -1); // [T, D] → [T]
    const kept: Record<string, tf.Tensor> = { scale: scale.reshape([T]) };
    kept.embed = read(act('hook_embed'));
    if (learned) kept.pos_embed = read(act('hook_pos_embed'));
    for (let l = 0; l < L; l++) {
      const b = w.blocks[l];
      // Heads: z [T, H, dh] against W_O[h] · dir_t, i.e. [H·dh, D] × [D, T] → [H, dh, T].
      const wo = tf.reshape(tf.matMul(b.attn.o.weight, dirs, false, true), [H, dh, T]);
      const z = act(headHook(l)); // [T, H, dh]
      kept[headHook(l)] = tf.sum(tf.mul(z, tf.transpose(wo, [2, 0, 1])), -1); // [T, H]
      kept[`blocks.${l}.attn.b_O`] = b.attn.o.bias ? read(tf.broadcastTo(b.attn.o.bias.reshape([1, D]), [T, D])) : tf.zeros([T]);
      const wout = tf.matMul(b.mlp.out.weight, dirs, false, true); // [M, T]
      kept[mlpHook(l)] = tf.mul(act(mlpHook(l)), tf.transpose(wout)); // [T, M]
      kept[`blocks.${l}.mlp.b_out`] = b.mlp.out.bias ? read(tf.broadcastTo(b.mlp.out.bias.reshape([1, D]), [T, D])) : tf.zeros([T]);
    }
    kept['ln_final.b'] = w.lnFinal.bias ? tf.broadcastTo(tf.sum(tf.mul(w.lnFinal.bias, u)).reshape([1]), [T]) : tf.zeros([T]);
    return kept;
  });
  const scores: Record<HookName, TensorData> = {};
  const terms: Record<string, Float32Array> = {};
  const reconstruction = new Float64Array(T);
  let scale = new Float32Array(T);
  try {
    for (const [k, t] of Object.entries(out)) {
      const data = (await t.data()) as Float32Array;
      if (k === 'scale') {
        scale = data.slice();
        continue;
      }
      const N = t.shape.length === 2 ? t.shape[1]! : 1;
      for (let p = 0; p < T; p++) for (let n = 0; n < N; n++) reconstruction[p] += data[p * N + n];
      if (t.shape.length === 2) scores[k] = { shape: [T, N], data: data.slice() };
      else terms[k] = data.slice();
    }
  } finally {
    for (const t of Object.values(out)) t.dispose();
  }
  return { metric, values, scale, scores, terms, reconstruction: Float32Array.from(reconstruction) };
}

export interface LensResult {
  metric: DlaMetric | 'logprob';
  /** The hooks read, in forward order: per layer resid_pre, then resid_post. */
  hooks: HookName[];
  /** Per hook [T]: the metric read from that hook through the final norm and the unembedding. */
  values: Record<HookName, Float32Array>;
  /** Per hook [T]: the top token of those logits. */
  top: Record<HookName, number[]>;
  /** The model's own metric [T] (equals the last resid_post's lens). */
  final: Float32Array;
}

export async function logitLens(model: Model, req: DlaRequest): Promise<LensResult> {
  const cfg = model.config;
  const { nLayer: L, dModel: D, vocabSize: V } = cfg;
  checkTokens(model, req);
  const metric = req.metric ?? (req.distractor !== undefined ? 'logit_diff' : 'logit');
  if (!['logit', 'logit_diff', 'logprob'].includes(metric)) fail(`metric "${String(metric)}" is not logit, logit_diff or logprob`);
  if (metric === 'logit_diff' && req.distractor === undefined) fail('the logit_diff metric needs a distractor token');
  if (metric !== 'logit_diff' && req.distractor !== undefined) fail('a distractor is only used with the logit_diff metric');
  const T = req.ids.length;
  const hooks: HookName[] = [];
  for (let l = 0; l < L; l++) hooks.push(hookName(l, 'hook_resid_pre'), hookName(l, 'hook_resid_post'));
  const r = await runModel(model, { inputIds: [req.ids], capture: hooks, logits: 'all' });
  const target = { kind: metric, token: req.target, distractor: req.distractor };
  const final = Float32Array.from({ length: T }, (_, t) => targetFromLogits(target, r.logits!.data, t * V, V));
  const values: Record<HookName, Float32Array> = {};
  const top: Record<HookName, number[]> = {};
  for (const h of hooks) {
    const logits = tf.tidy(() => unembed(model.weights, finalNorm(model.weights, cfg, tf.tensor(r.activations[h].data, [1, T, D]), (_n, x) => x)));
    const data = (await logits.data()) as Float32Array;
    logits.dispose();
    values[h] = Float32Array.from({ length: T }, (_, t) => targetFromLogits(target, data, t * V, V));
    top[h] = Array.from({ length: T }, (_, t) => {
      let best = 0;
      for (let v = 1; v < V; v++) if (data[t * V + v] > data[t * V + best]) best = v;
      return best;
    });
  }
  return { metric, hooks, values, top, final };
}
