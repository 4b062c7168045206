/**
 * The transformer block, written once for every architecture and every way of running it. What differs between
 * the forward pass, suffix runs (src/analysis/suffix.ts) and generation with a key/value cache
 * (src/analysis/generate.ts) is only how the new rows attend: an `Attention` step passed in.
 *
 * Canonical block (docs/architectures.md): resid_pre → norm1 → fused q/k/v → rotary (rotary models) → attention
 * → o → (resid_mid) → norm2 → MLP (gated or not) → resid_post, sequential or with a parallel residual.
 */
import * as tf from '@tensorflow/tfjs';
import type { BlockHook } from './hooks';
import { activation, gateProduct, linear, normAffine, normalize, product, withoutGrad } from './ops';
import { applyRotary } from './rotary';
import { isCausal, type ModelConfig } from './types';
import type { BlockWeights, Weights } from './weights';

/** One block's hook points: (hook, value) → the value later computation sees. */
export type BlockHookFn = (p: BlockHook, x: tf.Tensor) => tf.Tensor;

/** How the S new rows of a block attend. */
export interface Attention {
  /** Absolute position of the first new row (rotary angles, masks). */
  offset: number;
  /**
   * q [B, S, H, d_head], k and v [B, S, H_kv, d_head] of the new rows (after rotary) → z [B, S, H, d_head].
   * Calls the `attn.hook_attn_scores` and `attn.hook_pattern` hooks.
   */
  attend(layer: number, q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, h: BlockHookFn): tf.Tensor;
}

/** [B, S, heads, d] → [B, heads, S, d]. */
export const headsFirst = (x: tf.Tensor) => tf.transpose(x, [0, 2, 1, 3]);

/** Key/value heads [B, H_kv, ...] repeated for grouped-query attention: query head h reads kv head ⌊h·H_kv/H⌋. */
export function repeatKv(x: tf.Tensor, cfg: ModelConfig): tf.Tensor {
  const { nHead: H, nKvHead: K } = cfg;
  if (K === H) return x;
  const idx = tf.tensor1d(Array.from({ length: H }, (_, h) => Math.floor((h * K) / H)), 'int32');
  return tf.gather(x, idx, 1);
}

/**
 * Additive mask [S, offset + S] for query rows at positions offset..offset+S−1: 0 where key j is visible
 * (j ≤ i, and i − window < j for a local layer), −1e9 elsewhere.
 */
export function maskData(S: number, offset: number, window: number | null): Float32Array {
  const Tk = offset + S;
  const data = new Float32Array(S * Tk);
  for (let r = 0; r < S; r++) {
    const i = offset + r;
    for (let j = 0; j < Tk; j++) if (j > i || (window !== null && j <= i - window)) data[r * Tk + j] = -1e9;
  }
  return data;
}

const maskCache = new Map<string, tf.Tensor2D>();
/** The full-sequence mask [T, T] of a layer kind, kept for the life of the page. */
export function causalMask(T: number, window: number | null): tf.Tensor2D {
  const key = `${T}/${window}`;
  let m = maskCache.get(key);
  if (!m || m.isDisposed) {
    m = tf.keep(tf.tensor2d(maskData(T, 0, window), [T, T]));
    maskCache.set(key, m);
  }
  return m;
}
/** Tensors the block keeps alive between calls (masks); memory tests discount them. */
export function maskCachedTensors(): number {
  return [...maskCache.values()].filter((m) => !m.isDisposed).length;
}

/**
 * Raw scores q·k [B, H, S, Tk] → scaled and masked (attn.hook_attn_scores) → softmax (attn.hook_pattern).
 * With `lrp` rules (AH-rule) the pattern is a constant of the backward pass: no gradient reaches q and k.
 */
export function patternOf(raw: tf.Tensor, mask: tf.Tensor | null, cfg: ModelConfig, h: BlockHookFn): tf.Tensor {
  const scaled = cfg.attnScale === 1 ? raw : tf.mul(raw, cfg.attnScale);
  const scores = h('attn.hook_attn_scores', mask ? tf.add(scaled, mask) : scaled);
  return h('attn.hook_pattern', cfg.rules === 'lrp' ? withoutGrad(scores, (s) => tf.softmax(s, -1)) : tf.softmax(scores, -1));
}

/** The pattern of raw scores [B, H, S, Tk] applied to vh [B, H, Tk, d_head] → z [B, S, H, d_head]. */
export function attendRows(raw: tf.Tensor, vh: tf.Tensor, mask: tf.Tensor | null, cfg: ModelConfig, h: BlockHookFn): tf.Tensor {
  return tf.transpose(product(patternOf(raw, mask, cfg, h), vh), [0, 2, 1, 3]);
}

/** Causal (or local) attention over the whole sequence, unmasked for non-causal models (vit): the forward pass. */
export function fullAttention(cfg: ModelConfig): Attention {
  return {
    offset: 0,
    attend(layer, q, k, v, h) {
      const T = q.shape[1]!;
      // Keys go straight to [B, H, d_head, T]: a matmul with a pre-transposed operand is much faster on WASM.
      const kT = repeatKv(tf.transpose(k, [0, 2, 3, 1]), cfg);
      return attendRows(product(headsFirst(q), kT), repeatKv(headsFirst(v), cfg), isCausal(cfg) ? causalMask(T, cfg.attnWindows[layer]) : null, cfg, h);
    },
  };
}

/** One block on rows [B, S, D] at positions attn.offset.. ; returns resid_post. */
export function block(b: BlockWeights, cfg: ModelConfig, layer: number, resid: tf.Tensor, attn: Attention, h: BlockHookFn): tf.Tensor {
  const [B, S] = resid.shape;
  const { nHead: H, nKvHead: K, dHead: dh, norm, layerNormEps: eps, rules } = cfg;
  const residPre = h('hook_resid_pre', resid);
  const x1 = normAffine(h('ln1.hook_normalized', normalize(residPre, norm, eps, rules)), b.ln1);
  const [q0, k0, v0] = tf.split(linear(x1, b.attn.qkv), [H * dh, K * dh, K * dh], 2);
  let q = h('attn.hook_q', tf.reshape(q0, [B, S, H, dh]));
  let k = h('attn.hook_k', tf.reshape(k0, [B, S, K, dh]));
  const v = h('attn.hook_v', tf.reshape(v0, [B, S, K, dh]));
  if (cfg.positions === 'rotary') {
    q = h('attn.hook_rot_q', applyRotary(q, cfg, attn.offset));
    k = h('attn.hook_rot_k', applyRotary(k, cfg, attn.offset));
  }
  const z = h('attn.hook_z', attn.attend(layer, q, k, v, h));
  const attnOut = h('hook_attn_out', linear(tf.reshape(z, [B, S, H * dh]), b.attn.o));
  const residMid = cfg.parallelResidual ? residPre : h('hook_resid_mid', tf.add(residPre, attnOut));
  const x2 = normAffine(h('ln2.hook_normalized', normalize(residMid, norm, eps, rules)), b.ln2);
  let post: tf.Tensor;
  if (b.mlp.gate) {
    const pre = h('mlp.hook_pre', linear(x2, b.mlp.gate));
    const lin = h('mlp.hook_pre_linear', linear(x2, b.mlp.in));
    post = h('mlp.hook_post', gateProduct(activation(pre, cfg.activation, rules), lin, rules));
  } else {
    post = h('mlp.hook_post', activation(h('mlp.hook_pre', linear(x2, b.mlp.in)), cfg.activation, rules));
  }
  const mlpOut = h('hook_mlp_out', linear(post, b.mlp.out));
  return h('hook_resid_post', cfg.parallelResidual ? tf.add(tf.add(residPre, attnOut), mlpOut) : tf.add(residMid, mlpOut));
}

/** Token (and learned position) embeddings of ids [B, S] at positions offset..offset+S−1: the first resid_pre. */
export function embed(w: Weights, cfg: ModelConfig, ids: tf.Tensor2D, offset: number, hook: (name: 'hook_embed' | 'hook_pos_embed', x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const [B, S] = ids.shape;
  const tokens = hook('hook_embed', tf.gather(w.embed, ids));
  if (!w.pos) return tokens;
  const pos = hook('hook_pos_embed', tf.broadcastTo(tf.gather(w.pos, tf.range(offset, offset + S, 1, 'int32')).expandDims(0), [B, S, cfg.dModel]));
  return tf.add(tokens, pos);
}

/**
 * Vision models' first resid_pre: [CLS] then the patches' projections (hook_embed), plus the learned positions
 * (hook_pos_embed). `patches` [B, P, C·p·p] holds each patch unfolded in (channel, y, x) order (inputs.ts).
 */
export function embedPatches(w: Weights, cfg: ModelConfig, patches: tf.Tensor, hook: (name: 'hook_embed' | 'hook_pos_embed', x: tf.Tensor) => tf.Tensor): tf.Tensor {
  const [B, P] = patches.shape;
  const D = cfg.dModel;
  const proj = linear(patches, { weight: w.embed, bias: w.embedBias });
  const tokens = hook('hook_embed', tf.concat([tf.broadcastTo(tf.reshape(w.cls!, [1, 1, D]), [B, 1, D]), proj], 1));
  const pos = hook('hook_pos_embed', tf.broadcastTo(tf.reshape(w.pos!, [1, P + 1, D]), [B, P + 1, D]));
  return tf.add(tokens, pos);
}

/** The final norm: `ln_final.hook_normalized` is the value before its weight and bias; returns the value after. */
export function finalNorm(w: Weights, cfg: ModelConfig, resid: tf.Tensor, hook: (name: 'ln_final.hook_normalized', x: tf.Tensor) => tf.Tensor): tf.Tensor {
  return normAffine(hook('ln_final.hook_normalized', normalize(resid, cfg.norm, cfg.layerNormEps, cfg.rules)), w.lnFinal);
}
