/**
 * Residual-stream steering: add α·v at `blocks.L.hook_resid_pre` or `blocks.L.hook_resid_post` on chosen
 * positions. A steering vector is an `add` edit with a direction, so it composes with every other edit and runs
 * through generation and the next-token comparison like any edit.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import type { Edit, HookName, ModelConfig } from '../engine/types';
import { compareNextToken, type DistributionResult } from './distribution';
import { generate, generateBatch, type AnalysisOptions, type GenerateResult, type Means, type Sampling } from './generate';
import { Rng } from './rng';
import { identifyLanguage, type LanguageId } from './language-id';
import { assignTargets, type SwitchPrompt } from './lape';
import { contrastiveVector, hookMeans, neuronDirection, type ContrastiveRequest } from './vectors';

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

/** Each language's mean activation at a hook over its texts (token-weighted; cached per model and text). */
export async function languageCentroids(model: Model, hook: HookName, texts: Record<string, number[][]>, opts: AnalysisOptions = {}): Promise<Record<string, Float32Array>> {
  const out: Record<string, Float32Array> = {};
  for (const [lang, windows] of Object.entries(texts)) out[lang] = (await hookMeans(model, [hook], windows, { signal: opts.signal }))[hook];
  return out;
}

export interface SteeringSwitchRequest {
  /** Prompts of equal length with their languages (targets assigned in turn when absent). */
  prompts: SwitchPrompt[];
  /** Per language, the mean residual activation at the steering hook: v(A→B) = centroid(B) − centroid(A). */
  centroids: Record<string, ArrayLike<number>>;
  layer: number;
  point?: ResidPoint;
  /** α values; 0 is the clean run. */
  alphas: number[];
  languageId: LanguageId;
  maxTokens: number;
  batchSize?: number;
  /** Also steer along random directions of the same norm as each v(A→B), at every α ≠ 0 (a baseline). */
  randomDirections?: boolean;
  /** Seed of the random directions. */
  seed?: number;
}

export interface SteeringSwitchRow {
  alpha: number;
  /** `centroid`: v(A→B); `random`: a random direction with the same norm. */
  direction: 'centroid' | 'random';
  n: number;
  switched: number;
  leftSource: number;
  switchRate: number;
  leftRate: number;
  /** The first prompt's continuation for each source language at this α. */
  examples: Array<{ source: string; target: string; text: string; lang: string }>;
}

export interface SteeringSwitchReport {
  hook: HookName;
  rows: SteeringSwitchRow[];
  /** Mean ‖centroid(B) − centroid(A)‖ over the prompts' pairs, and mean ‖centroid‖, to read α against. */
  meanVectorNorm: number;
  meanCentroidNorm: number;
}

/**
 * Activation addition between languages: for a prompt in A with target B, add α·(centroid(B) − centroid(A)) to
 * the residual stream at every position and generation step, and identify the continuation's language.
 */
export async function steeringSwitchReport(model: Model, req: SteeringSwitchRequest, opts: AnalysisOptions = {}): Promise<SteeringSwitchReport> {
  const tok = model.tokenizer;
  if (!tok) fail(`model "${model.name}" has no tokenizer; the switch report identifies languages in decoded text`);
  const langs = Object.keys(req.centroids);
  const prompts = assignTargets(req.prompts, langs);
  if (prompts.length === 0 || req.alphas.length === 0) fail('the steering switch report needs prompts and α values');
  const hook = steeringHook(model.config, req.layer, req.point);
  const vec = (a: string, b: string) => Array.from(req.centroids[b], (x, i) => x - req.centroids[a][i]);
  const norm = (v: ArrayLike<number>) => Math.hypot(...Array.from(v));
  const rng = new Rng(req.seed ?? 1);
  const gauss = () => Math.sqrt(-2 * Math.log(1 - rng.next())) * Math.cos(2 * Math.PI * rng.next());
  // One random direction per prompt, scaled to the norm of that prompt's v(A→B).
  const randomVecs = prompts.map((p) => {
    const r = Array.from({ length: model.config.dModel }, gauss);
    const k = norm(vec(p.lang, p.target)) / norm(r);
    return r.map((x) => x * k);
  });
  const configs: Array<{ alpha: number; direction: 'centroid' | 'random' }> = req.alphas.map((alpha) => ({ alpha, direction: 'centroid' }));
  if (req.randomDirections) for (const alpha of req.alphas) if (alpha !== 0) configs.push({ alpha, direction: 'random' });
  const seqs: number[][] = [];
  const edits: Edit[][] = [];
  for (const c of configs) {
    prompts.forEach((p, i) => {
      seqs.push(p.ids);
      const vector = c.direction === 'centroid' ? vec(p.lang, p.target) : randomVecs[i];
      edits.push(c.alpha === 0 ? [] : [steeringEdit(model.config, { layer: req.layer, point: req.point, vector, alpha: c.alpha, positions: null })]);
    });
  }
  const gen = await generateBatch(model, { prompts: seqs, edits, maxTokens: req.maxTokens, batchSize: req.batchSize ?? 32 }, opts);
  const P = prompts.length;
  const rows = configs.map(({ alpha, direction }, a) => {
    const labelled = prompts.map((p, i) => {
      const text = tok.decode(gen.generated[a * P + i]);
      return { source: p.lang, target: p.target, text, lang: identifyLanguage(req.languageId, text).lang };
    });
    const switched = labelled.filter((r) => r.lang === r.target).length;
    const leftSource = labelled.filter((r) => r.lang !== r.source).length;
    // Examples: the first prompt of each source language.
    const examples = langs.map((l) => labelled.find((r) => r.source === l)).filter((r) => r !== undefined);
    return { alpha, direction, n: P, switched, leftSource, switchRate: switched / P, leftRate: leftSource / P, examples };
  });
  return {
    hook,
    rows,
    meanVectorNorm: prompts.reduce((s, p) => s + norm(vec(p.lang, p.target)), 0) / P,
    meanCentroidNorm: langs.reduce((s, l) => s + norm(req.centroids[l]), 0) / langs.length,
  };
}
