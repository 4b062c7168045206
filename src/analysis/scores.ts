import type { HookName, ModelConfig, TensorData } from '../engine/types';

/** Node-level scores: per hook a [T, N] array (N neurons, or heads for attn.hook_z). */
export type Scores = Record<HookName, TensorData>;

export const mlpHook = (l: number): HookName => `blocks.${l}.mlp.hook_post`;
export const headHook = (l: number): HookName => `blocks.${l}.attn.hook_z`;

export function mlpHooks(cfg: ModelConfig): HookName[] {
  return Array.from({ length: cfg.nLayer }, (_, l) => mlpHook(l));
}
export function headHooks(cfg: ModelConfig): HookName[] {
  return Array.from({ length: cfg.nLayer }, (_, l) => headHook(l));
}

/** Where nodes are scored: the target position, every position, or one position. */
export type PositionSpec = 'target' | 'all' | number;

export function positionsOf(spec: PositionSpec, T: number, targetPos: number): number[] {
  if (spec === 'all') return Array.from({ length: T }, (_, i) => i);
  if (spec === 'target') return [targetPos];
  return [spec];
}

/**
 * Reduces a batch-free hook tensor to node scores [T, units]: for [T, N] hooks the values themselves; for
 * [T, H, d] head hooks, `reduce` over each head's d values. Positions outside `keep` are zero.
 */
export function toNodeScores(t: { shape: number[]; data: Float32Array }, keep: number[], reduce: (vals: Float32Array, i0: number, n: number) => number): TensorData {
  const [T, U] = t.shape;
  const d = t.shape.length === 3 ? t.shape[2] : 1;
  const out = new Float32Array(T * U);
  for (const p of keep) for (let u = 0; u < U; u++) out[p * U + u] = reduce(t.data, (p * U + u) * d, d);
  return { shape: [T, U], data: out };
}

export const sumReduce = (v: Float32Array, i0: number, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i0 + i];
  return s;
};
export const normReduce = (v: Float32Array, i0: number, n: number) => {
  let s = 0;
  for (let i = 0; i < n; i++) s += v[i0 + i] * v[i0 + i];
  return Math.sqrt(s);
};

/** Element-wise product of two equally shaped tensors. */
export function times(a: Float32Array, b: Float32Array): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < a.length; i++) out[i] = a[i] * b[i];
  return out;
}

/** Drops the batch axis of element `b` of a batched result. */
export function unbatch(t: TensorData, b = 0): { shape: number[]; data: Float32Array } {
  const shape = t.shape.slice(1);
  const n = shape.reduce((x, y) => x * y, 1);
  return { shape, data: t.data.subarray(b * n, (b + 1) * n) };
}
