/**
 * Residual-stream steering: add α·v at `blocks.L.hook_resid_pre` or `blocks.L.hook_resid_post` on chosen
 * positions. A steering vector is an `add` edit with a direction, so it composes with every other edit and runs
 * through generation and the next-token comparison like any edit.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import type { Edit, HookName, ModelConfig } from '../engine/types';
import { compareNextToken, type DistributionResult } from './distribution';
import { generate, type AnalysisOptions, type GenerateResult, type Means, type Sampling } from './generate';
import { contrastiveVector, neuronDirection, type ContrastiveRequest } from './vectors';

export type ResidPoint = 'hook_resid_pre' | 'hook_resid_post';

export interface SteeringSpec {
  layer: number;
  point?: ResidPoint;
  vector: ArrayLike<number>;
  alpha: number;
  /** Positions (absolute, from the prompt's first token) or null for all, generated tokens included. */
  positions?: number[] | null;
  /** Scale v to unit length first (default false: α multiplies v as given). */
  normalize?: boolean;
}

export function steeringHook(cfg: ModelConfig, layer: number, point: ResidPoint = 'hook_resid_pre'): HookName {
  if (!Number.isInteger(layer) || layer < 0 || layer >= cfg.nLayer) fail(`steering layer ${layer} does not exist (the model has ${cfg.nLayer} layers)`);
  if (point !== 'hook_resid_pre' && point !== 'hook_resid_post') fail(`steering point "${point}" is not hook_resid_pre or hook_resid_post`);
  return `blocks.${layer}.${point}`;
}

/** The `add` edit that steers: x ← x + α·v at the chosen positions. */
export function steeringEdit(cfg: ModelConfig, spec: SteeringSpec): Edit {
  const hook = steeringHook(cfg, spec.layer, spec.point);
  if (spec.vector.length !== cfg.dModel) fail(`the steering vector has ${spec.vector.length} values; the residual stream has ${cfg.dModel}`);
  let v = Array.from(spec.vector);
  if (!v.every(Number.isFinite)) fail('the steering vector holds non-finite values');
  if (!Number.isFinite(spec.alpha)) fail(`steering α ${spec.alpha} is not a finite number`);
  if (spec.normalize) {
    const n = Math.hypot(...v);
    if (n === 0) fail('the steering vector is zero and cannot be normalised');
    v = v.map((x) => x / n);
  }
  return { hook, index: null, op: 'add', value: spec.alpha, vector: v, positions: spec.positions ?? null };
}

export interface SteeredGenerationRequest {
  inputIds: number[];
  steering: SteeringSpec[];
  /** Further edits applied together with the steering. */
  edits?: Edit[];
  means?: Means;
  maxTokens: number;
  sampling?: Sampling | null;
}

export interface SteeredGeneration extends GenerateResult {
  nextToken: Omit<DistributionResult, 'clean' | 'edited'>;
}

/** Clean vs steered: the continuations and the next-token distribution at the prompt's last position. */
export async function steerGenerate(model: Model, req: SteeredGenerationRequest, opts: AnalysisOptions = {}): Promise<SteeredGeneration> {
  const edits = [...(req.edits ?? []), ...req.steering.map((s) => steeringEdit(model.config, s))];
  const gen = await generate(model, { inputIds: req.inputIds, edits, means: req.means, maxTokens: req.maxTokens, sampling: req.sampling }, opts);
  const { clean: _c, edited: _e, ...nextToken } = await compareNextToken(model, { inputIds: req.inputIds, edits, means: req.means });
  return { ...gen, nextToken };
}

/** Vector sources in one place: contrastive prompt sets, a neuron's output direction, or given numbers. */
export type VectorSource =
  | { kind: 'contrastive'; request: ContrastiveRequest }
  | { kind: 'neuron'; layer: number; index: number }
  | { kind: 'given'; vector: ArrayLike<number> };

export async function steeringVector(model: Model, src: VectorSource, opts: AnalysisOptions = {}): Promise<Float32Array> {
  switch (src.kind) {
    case 'contrastive':
      return (await contrastiveVector(model, src.request, opts)).vector;
    case 'neuron':
      return neuronDirection(model, src.layer, src.index);
    case 'given':
      return Float32Array.from(src.vector);
  }
}
