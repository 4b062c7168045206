import { fail } from './errors';
import { hookInfo, type HookInfo } from './hooks';
import { EDIT_OPS, type Edit, type HookName, type ModelConfig } from './types';

const OPS = new Set<string>(EDIT_OPS);

/** Checks one edit against a model and a sequence length; throws a message naming the bad field. */
export function validateEdit(e: Edit, cfg: ModelConfig, T: number): HookInfo {
  const info = hookInfo(e.hook, cfg);
  if (e.hook === 'logits') fail('edits on "logits" are not supported');
  if (!OPS.has(e.op)) fail(`edit on ${e.hook}: unknown operation "${String(e.op)}" (${EDIT_OPS.join(', ')})`);
  if (e.index !== null && (!Number.isInteger(e.index) || e.index < 0 || e.index >= info.units)) {
    fail(`edit on ${e.hook}: index ${e.index} is out of range (0..${info.units - 1})`);
  }
  if (e.positions !== null) {
    if (!Array.isArray(e.positions)) fail(`edit on ${e.hook}: positions must be a list or null`);
    for (const p of e.positions) {
      if (!Number.isInteger(p) || p < 0 || p >= T) fail(`edit on ${e.hook}: position ${p} is outside the prompt (0..${T - 1})`);
    }
  }
  const needsValue = e.op === 'clamp' || e.op === 'scale' || e.op === 'add';
  if (needsValue && (typeof e.value !== 'number' || !Number.isFinite(e.value))) fail(`edit on ${e.hook}: ${e.op} needs a finite value`);
  if (e.vector !== undefined) {
    if (e.op !== 'add') fail(`edit on ${e.hook}: a vector is only allowed with "add"`);
    if (e.index !== null) fail(`edit on ${e.hook}: a vector edit applies to the whole hook (index must be null)`);
    const len = featureCount(info, cfg);
    if (e.vector.length !== len || !e.vector.every(Number.isFinite)) fail(`edit on ${e.hook}: the vector must hold ${len} finite numbers`);
  }
  if ((e.op === 'mean' || e.vector !== undefined) && info.layout === 'pattern') fail(`edit on ${e.hook}: ${e.op === 'mean' ? 'mean' : 'vector'} edits are not defined for attention patterns`);
  return info;
}

/** Number of features per position (mean vectors and steering vectors have this length). */
export function featureCount(info: HookInfo, cfg: ModelConfig): number {
  return info.layout === 'heads' ? info.units * cfg.dHead : info.units;
}

/**
 * The affine map x → x·mult + add that a list of edits makes of one hook, over the batch.
 * Edits compose in order. Arrays are full-size [B, ...hook shape]; null when that part is the identity.
 */
export interface EditMaps {
  mult: Float32Array | null;
  add: Float32Array | null;
}

export function buildEditMaps(
  hook: HookName,
  perBatch: Edit[][],
  cfg: ModelConfig,
  T: number,
  means?: Record<HookName, Float32Array | number[]>,
): EditMaps | null {
  const info = hookInfo(hook, cfg);
  const B = perBatch.length;
  const inner = info.shape(T).reduce((a, b) => a * b, 1);
  let mult: Float32Array | null = null;
  let add: Float32Array | null = null;
  const { dHead: dh } = cfg;
  const H = info.units;
  for (let b = 0; b < B; b++) {
    for (const e of perBatch[b]) {
      if (e.hook !== hook) continue;
      const positions = e.positions ?? Array.from({ length: T }, (_, i) => i);
      const units = e.index === null ? Array.from({ length: info.units }, (_, i) => i) : [e.index];
      let mean: Float32Array | number[] | undefined;
      if (e.op === 'mean') {
        mean = means?.[hook];
        if (!mean) fail(`edit on ${hook}: mean ablation needs the hook's mean activations, which were not provided`);
        if (mean.length !== featureCount(info, cfg)) fail(`mean activations for ${hook} have length ${mean.length}, expected ${featureCount(info, cfg)}`);
      }
      if (!mult && e.op !== 'add') mult = new Float32Array(B * inner).fill(1);
      if (!add && e.op !== 'scale') add = new Float32Array(B * inner);
      // visit(flatIndex, featureIndex)
      const visit = (f: (i: number, feat: number) => void) => {
        for (const t of positions) {
          for (const u of units) {
            if (info.layout === 'tokens') {
              f(b * inner + t * info.units + u, u);
            } else if (info.layout === 'heads') {
              const base = b * inner + (t * H + u) * dh;
              for (let j = 0; j < dh; j++) f(base + j, u * dh + j);
            } else {
              const base = b * inner + (u * T + t) * T;
              for (let j = 0; j < T; j++) f(base + j, j);
            }
          }
        }
      };
      const v = e.value ?? 0;
      switch (e.op) {
        case 'zero':
          visit((i) => { mult![i] = 0; add![i] = 0; });
          break;
        case 'clamp':
          visit((i) => { mult![i] = 0; add![i] = v; });
          break;
        case 'scale':
          visit((i) => { mult![i] *= v; if (add) add[i] *= v; });
          break;
        case 'mean':
          visit((i, feat) => { mult![i] = 0; add![i] = mean![feat]; });
          break;
        case 'add':
          if (e.vector) {
            const vec = e.vector;
            visit((i, feat) => { add![i] += v * vec[feat]; });
          } else {
            visit((i) => { add![i] += v; });
          }
          break;
      }
    }
  }
  return mult || add ? { mult, add } : null;
}
