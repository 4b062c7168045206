import * as tf from '@tensorflow/tfjs';
import './wasm-kernels';
import { hookName, type BlockHook } from './hooks';
import type { HookName, ModelConfig } from './types';
import { activation, layerNorm, linear, product } from './ops';
import type { BlockWeights, Weights } from './weights';

/**
 * Called at every hook point with the hook's value; returns the value later layers see.
 * Plain functions of this type are how captures, edits and gradient probes enter a run.
 */
export type HookFn = (name: HookName, x: tf.Tensor) => tf.Tensor;

const identity: HookFn = (_n, x) => x;

const maskCache = new Map<number, tf.Tensor2D>();
/** Additive causal mask [T, T]: 0 on and below the diagonal, −1e9 above. Kept for the life of the page. */
function causalMask(T: number): tf.Tensor2D {
  let m = maskCache.get(T);
  if (!m || m.isDisposed) {
    const data = new Float32Array(T * T);
    for (let i = 0; i < T; i++) for (let j = i + 1; j < T; j++) data[i * T + j] = -1e9;
    m = tf.keep(tf.tensor2d(data, [T, T]));
    maskCache.set(T, m);
  }
  return m;
}
/** Tensors the engine keeps alive between calls (causal masks); memory tests discount them. */
export function cachedTensorCount(): number {
  return [...maskCache.values()].filter((m) => !m.isDisposed).length;
}

/** One block's hook points: (hook, value) → the value later computation sees. */
export type BlockHookFn = (p: BlockHook, x: tf.Tensor) => tf.Tensor;

/**
 * The start of a block: resid_pre → ln1 → c_attn → q, k, v as [B, S, H, d_head], each through its hook. Shared by the
 * forward pass and the suffix runs (src/analysis/suffix.ts), which attend differently but project alike.
 */
export function blockQkv(b: BlockWeights, cfg: ModelConfig, resid: tf.Tensor, h: BlockHookFn) {
  const [B, S] = resid.shape;
  const { nHead: H, dHead: dh } = cfg;
  const residPre = h('hook_resid_pre', resid);
  const x1 = h('ln1.hook_normalized', layerNorm(residPre, b.ln_1.weight, b.ln_1.bias, cfg.layerNormEps));
  const [q0, k0, v0] = tf.split(linear(x1, b.attn.c_attn), 3, 2);
  return {
    residPre,
    q: h('attn.hook_q', tf.reshape(q0, [B, S, H, dh])),
    k: h('attn.hook_k', tf.reshape(k0, [B, S, H, dh])),
    v: h('attn.hook_v', tf.reshape(v0, [B, S, H, dh])),
  };
}

/**
 * The rest of a block once attention has produced z [B, S, H, d_head] (already through attn.hook_z): c_proj,
 * resid_mid, ln2, the MLP and resid_post, each through its hook. Returns resid_post.
 */
export function blockAfterAttention(b: BlockWeights, cfg: ModelConfig, residPre: tf.Tensor, z: tf.Tensor, h: BlockHookFn): tf.Tensor {
  const [B, S] = residPre.shape;
  const attnOut = h('hook_attn_out', linear(tf.reshape(z, [B, S, cfg.dModel]), b.attn.c_proj));
  const residMid = h('hook_resid_mid', tf.add(residPre, attnOut));
  const x2 = h('ln2.hook_normalized', layerNorm(residMid, b.ln_2.weight, b.ln_2.bias, cfg.layerNormEps));
  const pre = h('mlp.hook_pre', linear(x2, b.mlp.c_fc));
  const post = h('mlp.hook_post', activation(pre, cfg.activation));
  const mlpOut = h('hook_mlp_out', linear(post, b.mlp.c_proj));
  return h('hook_resid_post', tf.add(residMid, mlpOut));
}

/**
 * The GPT-2 forward pass up to the final layer norm. `ids` is int32 [B, T].
 * Returns the normalised final residual [B, T, D]. Differentiable; call inside tidy/grads.
 */
export function forwardResidual(w: Weights, cfg: ModelConfig, ids: tf.Tensor2D, hook: HookFn = identity): tf.Tensor {
  const [B, T] = ids.shape;
  const { dHead: dh, dModel: D, layerNormEps: eps } = cfg;
  const h = (l: number, p: BlockHook, x: tf.Tensor) => hook(hookName(l, p), x);
  const embed = hook('hook_embed', tf.gather(w.wte, ids));
  const posIds = tf.range(0, T, 1, 'int32');
  const pos = hook('hook_pos_embed', tf.broadcastTo(tf.gather(w.wpe, posIds).expandDims(0), [B, T, D]));
  let resid = tf.add(embed, pos);
  const mask = causalMask(T);
  const scale = 1 / Math.sqrt(dh);
  for (let l = 0; l < cfg.nLayer; l++) {
    const b = w.blocks[l];
    const hl: BlockHookFn = (p, x) => h(l, p, x);
    const { residPre, q, k, v } = blockQkv(b, cfg, resid, hl);
    const qh = tf.transpose(q, [0, 2, 1, 3]);
    // Keys go straight to [B, H, d_head, T]: a matmul with a pre-transposed operand is much faster on WASM
    // than one that transposes internally.
    const khT = tf.transpose(k, [0, 2, 3, 1]);
    const vh = tf.transpose(v, [0, 2, 1, 3]);
    const scores = hl('attn.hook_attn_scores', tf.add(tf.mul(product(qh, khT), scale), mask));
    const pattern = hl('attn.hook_pattern', tf.softmax(scores, -1));
    const z = hl('attn.hook_z', tf.transpose(product(pattern, vh), [0, 2, 1, 3]));
    resid = blockAfterAttention(b, cfg, residPre, z, hl);
  }
  return hook('ln_final.hook_normalized', layerNorm(resid, w.ln_f.weight, w.ln_f.bias, eps));
}

/** Unembedding: x [..., D] → logits [..., V], tied to wte unless lm_head exists. */
export function unembed(w: Weights, x: tf.Tensor): tf.Tensor {
  const D = x.shape[x.shape.length - 1];
  const lead = x.shape.slice(0, -1);
  const flat = tf.reshape(x, [-1, D]) as tf.Tensor2D;
  const E = w.lm_head ?? w.wte;
  // For a few rows the internal transpose is cheaper than copying a large unembedding; otherwise transpose first.
  const logits = flat.shape[0] < 4 ? tf.matMul(flat, E, false, true) : product(flat, tf.transpose(E));
  return tf.reshape(logits, [...lead, logits.shape[1]!]);
}

/** Plain differentiable forward: ids [B, T] → logits [B, T, V]. Used by training. */
export function forwardLogits(w: Weights, cfg: ModelConfig, ids: tf.Tensor2D): tf.Tensor3D {
  return unembed(w, forwardResidual(w, cfg, ids)) as tf.Tensor3D;
}
