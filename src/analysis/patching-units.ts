/**
 * The units patching works on, and the edits that set one of them to a given value: an MLP neuron
 * (`blocks.L.mlp.hook_post`, N = d_mlp, one number), an attention head (`blocks.L.attn.hook_z`, N = heads, its
 * d_head vector), or the residual stream entering a block (`blocks.L.hook_resid_pre`, N = 1, the whole
 * D-vector), each at one position; on request also a block's whole MLP output (`blocks.L.hook_mlp_out`, N = 1).
 */
import { fail } from '../engine/errors';
import { hookInfo, hookName } from '../engine/hooks';
import type { Edit, HookName, ModelConfig } from '../engine/types';

/** The default kinds; `mlp_out` (a block's MLP output vector) is patched only when asked for. */
export const PATCH_HOOK_KINDS = ['mlp', 'heads', 'resid'] as const;
export const ALL_PATCH_HOOK_KINDS = [...PATCH_HOOK_KINDS, 'mlp_out'] as const;
export type PatchHookKind = (typeof ALL_PATCH_HOOK_KINDS)[number];

const POINT = { resid: 'hook_resid_pre', heads: 'attn.hook_z', mlp: 'mlp.hook_post', mlp_out: 'hook_mlp_out' } as const;

/** The hooks of the chosen kinds and layers, in forward order (per layer: resid_pre, heads, MLP). */
export function patchHooks(cfg: ModelConfig, kinds: readonly PatchHookKind[] = PATCH_HOOK_KINDS, layers?: number[]): HookName[] {
  if (kinds.length === 0) fail('patching: no hooks chosen (mlp, heads, resid)');
  for (const k of kinds) if (!(ALL_PATCH_HOOK_KINDS as readonly string[]).includes(k)) fail(`hook kind "${k}" is not one of ${ALL_PATCH_HOOK_KINDS.join(', ')}`);
  const ls = layers ?? Array.from({ length: cfg.nLayer }, (_, l) => l);
  if (ls.length === 0) fail('patching: no layers chosen');
  for (const l of ls) if (!Number.isInteger(l) || l < 0 || l >= cfg.nLayer) fail(`layer ${l} does not exist (the model has ${cfg.nLayer} layers)`);
  const out: HookName[] = [];
  const forward: PatchHookKind[] = ['resid', 'heads', 'mlp', 'mlp_out'];
  for (const l of [...new Set(ls)].sort((a, b) => a - b)) for (const k of forward) if (kinds.includes(k)) out.push(hookName(l, POINT[k]));
  return out;
}

/** A patching hook's layer, unit count N and the width of one unit's value (1, d_head or D). */
export function unitShape(h: HookName, cfg: ModelConfig): { layer: number; units: number; width: number; kind: PatchHookKind } {
  const info = hookInfo(h, cfg);
  if (info.point === 'mlp.hook_post') return { layer: info.layer, units: cfg.dMlp, width: 1, kind: 'mlp' };
  if (info.point === 'attn.hook_z') return { layer: info.layer, units: cfg.nHead, width: cfg.dHead, kind: 'heads' };
  if (info.point === 'hook_resid_pre') return { layer: info.layer, units: 1, width: cfg.dModel, kind: 'resid' };
  if (info.point === 'hook_mlp_out') return { layer: info.layer, units: 1, width: cfg.dModel, kind: 'mlp_out' };
  return fail(`patching works on mlp.hook_post, attn.hook_z, hook_resid_pre and hook_mlp_out, not ${h}`);
}

/**
 * Edits that set unit n of hook h at position p to `value` (length = the unit's width): a clamp for a neuron;
 * for a head or the residual vector, zero it and add the value as a vector over the hook's features (zero
 * outside the unit).
 */
export function patchEdits(h: HookName, cfg: ModelConfig, n: number, p: number, value: ArrayLike<number>): Edit[] {
  const { kind, width } = unitShape(h, cfg);
  if (value.length !== width) fail(`patching ${h}: a value of ${value.length} numbers for a unit of ${width}`);
  if (kind === 'mlp') return [{ hook: h, index: n, op: 'clamp', value: value[0], positions: [p] }];
  if (kind === 'resid' || kind === 'mlp_out') return [
    { hook: h, index: null, op: 'zero', positions: [p] },
    { hook: h, index: null, op: 'add', value: 1, vector: Array.from(value), positions: [p] },
  ];
  const vector = new Array<number>(cfg.nHead * cfg.dHead).fill(0);
  for (let j = 0; j < width; j++) vector[n * width + j] = value[j];
  return [
    { hook: h, index: n, op: 'zero', positions: [p] },
    { hook: h, index: null, op: 'add', value: 1, vector, positions: [p] },
  ];
}
