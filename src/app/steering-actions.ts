/**
 * The steering panel's work: a contrastive vector from two prompt sets (computed in the worker), the `add` edit
 * it becomes (the one Edit type, so it joins undo, links and exports like every edit), and the strength sweep.
 * Parsing helpers are pure (tested in test/app/steering-actions.test.ts).
 */
import type { Edit } from '../engine/types';
import type { ResidPoint } from '../analysis/steering';
import { activeEdits, useStore } from '../store/store';
import type { ProgressFn, SteeringSweepUi, SteeringVectorUi } from '../worker/api';
import { withProgress } from '../worker/client';
import { getEngine } from './controller';

/** Prompts one per line; blank lines are ignored. */
export function promptLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter(Boolean);
}

/**
 * Where the vector is added: `all` (every position, generated tokens too), `last` (the prompt's last token), or a
 * comma/space-separated list of positions (each 0 … n_ctx − 1).
 */
export function parseSteeringPositions(text: string, promptTokens: number, nCtx: number): number[] | null {
  const t = text.trim().toLowerCase();
  if (t === '' || t === 'all') return null;
  if (t === 'last') {
    if (promptTokens < 1) throw new Error('positions "last": type a prompt first');
    return [promptTokens - 1];
  }
  const parts = t.split(/[\s,]+/).filter(Boolean);
  const out: number[] = [];
  for (const p of parts) {
    const v = Number(p);
    if (!/^\d+$/.test(p) || !Number.isInteger(v)) throw new Error(`positions: "${p}" is not a position (give all, last, or numbers such as 0,3,5)`);
    if (v >= nCtx) throw new Error(`positions: ${v} is past the model's context (positions 0 … ${nCtx - 1})`);
    if (!out.includes(v)) out.push(v);
  }
  return out.sort((a, b) => a - b);
}

/** The hook a steering vector is read at and added to. */
export const steeringHookName = (layer: number, point: ResidPoint) => `blocks.${layer}.${point}`;

/** The `add` edit that steers: x ← x + α·v at the positions (index null: the whole residual vector). */
export function steeringAddEdit(layer: number, point: ResidPoint, vector: ArrayLike<number>, alpha: number, positions: number[] | null): Edit {
  if (!Number.isFinite(alpha)) throw new Error(`strength α "${alpha}" is not a number`);
  return { hook: steeringHookName(layer, point), index: null, op: 'add', value: alpha, vector: Array.from(vector), positions };
}

/** A short label for the edit list and exports: where, how strong, the vector's norm, and from which prompts. */
export function steeringLabel(layer: number, point: ResidPoint, alpha: number, positions: number[] | null, positive: string[], negative: string[], norm: number): string {
  const quote = (s: string[]) => (s.length === 1 ? JSON.stringify(s[0].slice(0, 24)) : `${s.length} prompts`);
  const where = positions === null ? 'all' : positions.join(',');
  return `steer L${layer}.${point === 'hook_resid_pre' ? 'pre' : 'post'} α=${alpha} ‖v‖=${norm.toPrecision(3)} @${where}: ${quote(positive)} − ${quote(negative)}`.slice(0, 200);
}

/** The active edits other than a steering edit with this very vector (a sweep must not steer twice). */
export function otherEdits(vector: ArrayLike<number>, hook: string): Edit[] {
  const v = Array.from(vector);
  return activeEdits(useStore.getState().edits).filter((e) => !(e.hook === hook && e.op === 'add' && e.vector && e.vector.length === v.length && e.vector.every((x, i) => x === v[i])));
}

export interface BuiltVector extends SteeringVectorUi {
  layer: number;
  point: ResidPoint;
  positive: number;
  negative: number;
  positivePrompts: string[];
  negativePrompts: string[];
}

export async function buildSteeringVector(positive: string[], negative: string[], layer: number, point: ResidPoint, reduce: 'mean' | 'last'): Promise<BuiltVector> {
  const v = await getEngine().steeringVector('steering-vector', { positive, negative, layer, point, reduce });
  return { ...v, layer, point, positivePrompts: positive, negativePrompts: negative };
}

export async function runSteeringSweep(v: BuiltVector, positions: number[] | null, alphas: number[], target: number, maxTokens: number, onProgress: ProgressFn): Promise<SteeringSweepUi> {
  const ids = useStore.getState().tokens?.ids;
  if (!ids || ids.length === 0) throw new Error('type a prompt first: the sweep reads its next-token probabilities');
  return withProgress(onProgress, (progress) =>
    getEngine().steeringSweep('steering-sweep', { ids, layer: v.layer, point: v.point, vector: v.vector, positions, alphas, target, edits: otherEdits(v.vector, v.hook), maxTokens }, progress),
  );
}
