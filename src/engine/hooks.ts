import { fail } from './errors';
import type { HookName, ModelConfig } from './types';

/**
 * Hook points inside a block, in the order the forward pass reaches them (TransformerLens names); which of them a
 * model has depends on its architecture (`blockHooks`).
 */
export const BLOCK_HOOKS = [
  'hook_resid_pre',
  'ln1.hook_normalized',
  'attn.hook_q',
  'attn.hook_k',
  'attn.hook_v',
  'attn.hook_rot_q',
  'attn.hook_rot_k',
  'attn.hook_attn_scores',
  'attn.hook_pattern',
  'attn.hook_z',
  'hook_attn_out',
  'hook_resid_mid',
  'ln2.hook_normalized',
  'mlp.hook_pre',
  'mlp.hook_pre_linear',
  'mlp.hook_post',
  'hook_mlp_out',
  'hook_resid_post',
] as const;
export type BlockHook = (typeof BLOCK_HOOKS)[number];

export const GLOBAL_HOOKS = ['hook_embed', 'hook_pos_embed', 'ln_final.hook_normalized', 'logits'] as const;

/**
 * How a hook's tensor is laid out (batch first):
 * - `tokens`: [B, T, N] — the unit axis is the last one
 * - `heads`: [B, T, H, d_head] — the unit is a head (axis 2)
 * - `pattern`: [B, H, T_query, T_key] — the unit is a head (axis 1), positions are query positions
 */
export type HookLayout = 'tokens' | 'heads' | 'pattern';

export interface HookInfo {
  name: HookName;
  /** Block index, or -1 for hooks outside the blocks. */
  layer: number;
  /** The name inside the block (e.g. `mlp.hook_post`), or the global name. */
  point: string;
  layout: HookLayout;
  /** Size of the unit axis: N for `tokens`, H for `heads` and `pattern`. */
  units: number;
  /** Shape without the batch axis, for T tokens. */
  shape(T: number): number[];
}

export function hookName(layer: number, point: BlockHook): HookName {
  return `blocks.${layer}.${point}`;
}

/** Whether a block hook exists in this model's architecture. */
export function hasBlockHook(cfg: ModelConfig, p: BlockHook): boolean {
  if (p === 'attn.hook_rot_q' || p === 'attn.hook_rot_k') return cfg.positions === 'rotary';
  if (p === 'mlp.hook_pre_linear') return cfg.gatedMlp;
  if (p === 'hook_resid_mid') return !cfg.parallelResidual;
  return true;
}

/** The block hooks this model has, in forward order. */
export function blockHooks(cfg: ModelConfig): BlockHook[] {
  return BLOCK_HOOKS.filter((p) => hasBlockHook(cfg, p));
}

/** Every hook of a model, in forward order. */
export function allHooks(cfg: ModelConfig): HookName[] {
  const names: HookName[] = cfg.positions === 'learned' ? ['hook_embed', 'hook_pos_embed'] : ['hook_embed'];
  const inBlock = blockHooks(cfg);
  for (let l = 0; l < cfg.nLayer; l++) for (const p of inBlock) names.push(hookName(l, p));
  names.push('ln_final.hook_normalized', 'logits');
  return names;
}

/** Parses and checks a hook name against a model; throws a clear message for unknown hooks. */
export function hookInfo(name: HookName, cfg: ModelConfig): HookInfo {
  const { dModel: D, dMlp: M, nHead: H, nKvHead: K, dHead: dh, vocabSize: V } = cfg;
  const tok = (n: number) => ({ layout: 'tokens' as const, units: n, shape: (T: number) => [T, n] });
  if (name === 'hook_pos_embed' && cfg.positions !== 'learned') fail(`hook "hook_pos_embed" does not exist in this model: ${cfg.modelType} uses rotary position embeddings (see attn.hook_rot_q / hook_rot_k)`);
  if ((GLOBAL_HOOKS as readonly string[]).includes(name)) {
    // A vision model's logits are one row per image (the classifier on [CLS]): [labels].
    const info = name === 'logits' ? (cfg.vision ? { ...tok(V), shape: () => [V] } : tok(V)) : tok(D);
    return { name, layer: -1, point: name, ...info };
  }
  const m = /^blocks\.(0|[1-9]\d{0,5})\.(.+)$/.exec(name);
  if (!m || !(BLOCK_HOOKS as readonly string[]).includes(m[2])) {
    fail(`unknown hook "${name}" (expected e.g. blocks.0.mlp.hook_post, blocks.0.attn.hook_pattern, hook_embed)`);
  }
  const layer = Number(m[1]);
  if (layer >= cfg.nLayer) fail(`hook "${name}": layer ${layer} does not exist (the model has ${cfg.nLayer} layers)`);
  const point = m[2] as BlockHook;
  if (!hasBlockHook(cfg, point)) {
    const why = point === 'hook_resid_mid' ? 'the block has a parallel residual' : point === 'mlp.hook_pre_linear' ? 'the MLP is not gated' : 'the model has no rotary embeddings';
    fail(`hook "${name}" does not exist in this ${cfg.modelType} model: ${why}`);
  }
  switch (point) {
    case 'attn.hook_q':
    case 'attn.hook_rot_q':
    case 'attn.hook_z':
      return { name, layer, point, layout: 'heads', units: H, shape: (T) => [T, H, dh] };
    case 'attn.hook_k':
    case 'attn.hook_v':
    case 'attn.hook_rot_k':
      return { name, layer, point, layout: 'heads', units: K, shape: (T) => [T, K, dh] };
    case 'attn.hook_attn_scores':
    case 'attn.hook_pattern':
      return { name, layer, point, layout: 'pattern', units: H, shape: (T) => [H, T, T] };
    case 'mlp.hook_pre':
    case 'mlp.hook_pre_linear':
    case 'mlp.hook_post':
      return { name, layer, point, ...tok(M) };
    default:
      return { name, layer, point, ...tok(D) };
  }
}
