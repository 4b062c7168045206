/** What the attribution graph reads from the engine: the hooks it captures, and small products on the backend. */
import * as tf from '@tensorflow/tfjs';
import type { Model } from '../engine/model';
import type { HookName } from '../engine/types';

export interface GraphCaptures {
  T: number;
  /** Per layer, batch-free hook values. */
  act: (h: HookName) => Float32Array;
  grad: (h: HookName) => Float32Array;
  /** Logits at the last position [V]. */
  lastLogits: Float32Array;
}

export async function values(t: tf.Tensor): Promise<Float32Array> {
  const d = ((await t.data()) as Float32Array).slice();
  t.dispose();
  return d;
}

/** X [S, D] (plain rows) · W [D, N] on the backend. */
export async function project(X: Float32Array, S: number, D: number, W: tf.Tensor2D): Promise<Float32Array> {
  if (S === 0) return new Float32Array(0);
  return values(tf.tidy(() => tf.matMul(tf.tensor2d(X, [S, D]), W)));
}

/** The hooks the graph reads, per layer and globally. */
export function graphHooks(model: Model): HookName[] {
  const cfg = model.config;
  const hooks: HookName[] = [];
  const rot = cfg.positions === 'rotary';
  for (let l = 0; l < cfg.nLayer; l++) {
    const b = (p: string) => `blocks.${l}.${p}`;
    hooks.push(b('hook_resid_pre'), b('attn.hook_pattern'), b(rot ? 'attn.hook_rot_q' : 'attn.hook_q'), b(rot ? 'attn.hook_rot_k' : 'attn.hook_k'), b('attn.hook_v'));
    hooks.push(b('attn.hook_z'), b('hook_attn_out'), b('mlp.hook_pre'), b('mlp.hook_post'), b('hook_mlp_out'));
    if (!cfg.parallelResidual) hooks.push(b('hook_resid_mid'));
    if (cfg.gatedMlp) hooks.push(b('mlp.hook_pre_linear'));
  }
  hooks.push(`blocks.${cfg.nLayer - 1}.hook_resid_post`);
  return hooks;
}

