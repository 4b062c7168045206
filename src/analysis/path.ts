/**
 * Neuron paths — NeuronPath (ICLR 2025, "Discovering Influential Neuron Path in Vision Transformers") adapted to
 * language models — and the baselines it is compared with.
 *
 * A path holds one MLP neuron per layer, at the target position (or at one chosen position, or at every position
 * up to the target's). The joint attribution of a set S of neurons is the integrated gradient of the target when
 * all of S is scaled together from 0 to its values: Σ_{n∈S} mean_α ∂F/∂n · v_n(α), with v_n(α) the neuron's own
 * value at step α (its activation, unless neurons of S before it are scaled too); by completeness it equals
 * F(x) − F(S zeroed) as m grows (ig.ts). The search is
 * layer-progressive: at layer l, with the path so far scaled jointly, every neuron of layer l is scaled along the
 * same α (one batched IG run per layer and beam), and the neuron whose joint attribution with the path is largest
 * extends it. With a beam of k, the k best partial paths are extended at each layer.
 */
import { fail } from '../engine/errors';
import { influencingLength, inputPrefix, inputTokens, type ModelInput } from '../engine/inputs';
import { formatNodeId, type NodeId } from '../engine/nodeid';
import type { Model } from '../engine/model';
import type { Edit, HookName, Target } from '../engine/types';
import { Rng } from './rng';
import { IG_GAP_WARN, integratedTerms, suggestSteps, type IgJob } from './ig';
import { betweenSteps, StepBatch, type AnalysisOptions } from './options';
import { mlpHook, mlpHooks, type PositionSpec } from './scores';
import { suffixBatch, SuffixRunner, suffixTarget, type SuffixTarget } from './suffix';
import { resolveTarget, type ResolvedTarget } from './targets';

export interface PathRequest {
  /** Token ids, or a vision model's image (the target is then a class, read at [CLS]). */
  ids: ModelInput;
  target: Target;
  /** Integrated-gradient steps; default 20. */
  steps?: number;
  /** Number of paths kept by the beam search; default 1. */
  beam?: number;
  /** Runners-up reported per layer; default 5. */
  runnersUp?: number;
  /** Seed of the random baseline. */
  seed?: number;
  /**
   * Where the path's neurons sit and are scaled: the target position (default), one earlier position, or `all`
   * (each node is the neuron at every position up to the target's; its id has no `@pos`). Non-causal models (vit):
   * any position, and `all` is every token.
   */
  positions?: PositionSpec;
  /**
   * How the joint attribution of path ∪ {n} is computed for the candidates n of a layer:
   * - `layer` (default, the search as specified): one IG run per layer in which the whole layer is scaled along
   *   with the path; a candidate's score is the path's IG terms plus its own;
   * - `exact`: the joint IG with only path ∪ {n} scaled, which by completeness is exactly F(x) − F(path ∪ {n}
   *   zeroed): one ablation run per candidate (d_mlp runs per layer, no steps).
   */
  joint?: 'layer' | 'exact';
}

export interface PathNode {
  hook: string;
  index: number;
  /** Token position; null for a neuron taken at every position. */
  position: number | null;
  /**
   * NeuronPath: the search's joint score of the path up to and including this node (`scoreKind` says which).
   * With the default layer-scaled search it is the path's and this neuron's IG terms in a run where the whole of
   * this layer is scaled along with the path — a ranking score, not the effect of removing the path (`removal`).
   * With `joint: 'exact'` it is that removal effect. Baselines: their own criterion (activation for the
   * activation path; grad × act for the gxa path; the per-layer IG for the layer-IG and random paths).
   */
  score: number;
  /**
   * Path nodes (best path and beams): F(x) − F(this node and the path's nodes before it zeroed at the path
   * positions), the exact effect of removing the path up to here.
   */
  removal?: number;
  node: NodeId;
}

/** What PathNode.score of NeuronPath's nodes is. */
export type PathScoreKind = 'layer_scaled_joint_ig' | 'exact_removal';

/** Integrated gradients of one layer scaled alone: Σ of its terms against the exact F(x) − F(layer zeroed). */
export interface IgCompleteness {
  layer: number;
  /** Σ over the layer's neurons (at the path positions) of their IG. */
  sum: number;
  /** F(x) − F(the layer zeroed at the path positions). */
  exact: number;
  /** |sum − exact| / max(|exact|, 1e-4). */
  gap: number;
}

export interface PathEdge {
  from: NodeId;
  to: NodeId;
  /** Gradient × activation of the downstream neuron with respect to the upstream one. */
  weight: number;
}

export interface PathResult {
  target: ResolvedTarget;
  targetValue: number;
  /** Positions at which path neurons are read and scaled (absent in results saved before it existed: [target]). */
  positions?: number[];
  path: PathNode[];
  /** All beam paths, best first (the first equals `path`). */
  beams: PathNode[][];
  /** Per layer, the best alternatives to the path's neuron given the path's prefix (joint scores). */
  runners_up: PathNode[][];
  edges: PathEdge[];
  /** `gxa`: the largest grad × act in each layer (absent in results saved before it existed). */
  baselines: { activation: PathNode[]; layer_ig: PathNode[]; random: PathNode[]; gxa?: PathNode[] };
  /** Per layer, every neuron's joint score with the best path's prefix (for drawing the layer). */
  layerScores: Float32Array[];
  /** Per layer, every neuron's own integrated gradient (that layer scaled alone). */
  layerIg?: Float32Array[];
  /** What the path nodes' `score` is (absent in results saved before it existed: layer-scaled). */
  scoreKind?: PathScoreKind;
  /** Per layer, how far the per-layer IG (`layerIg`) is from completeness with this run's steps. */
  igCompleteness?: IgCompleteness[];
  /** Problems worth knowing about the numbers (e.g. an IG completeness gap above 5%). */
  warnings?: string[];
}


/** Indices of the k largest values, ties to the lower index. */
export function topK(values: ArrayLike<number>, k: number, exclude: ReadonlySet<number> = new Set()): number[] {
  const idx: number[] = [];
  for (let i = 0; i < values.length; i++) if (!exclude.has(i)) idx.push(i);
  return idx.sort((a, b) => values[b] - values[a] || a - b).slice(0, k);
}

export async function findPath(model: Model, req: PathRequest, opts: AnalysisOptions = {}): Promise<PathResult> {
  const cfg = model.config;
  const { nLayer: L, dMlp: N } = cfg;
  const T = inputTokens(cfg, req.ids);
  if (T === 0) fail('the prompt is empty: at least one token is needed');
  const target = resolveTarget(req.target, T, cfg);
  const p = target.position;
  // Positions that can influence the target: up to its own under causal attention, every one otherwise.
  const reach = influencingLength(cfg, T, p);
  const spec = req.positions ?? 'target';
  if (typeof spec === 'number' && (!Number.isInteger(spec) || spec < 0 || spec >= reach)) fail(reach === p + 1 ? `path position ${spec} must lie in 0..${p} (not after the target position)` : `path position ${spec} is outside the input (0..${T - 1})`);
  const pos = spec === 'all' ? Array.from({ length: reach }, (_, i) => i) : [spec === 'target' ? p : spec];
  const nodePos = spec === 'all' ? null : pos[0];
  const start = pos[0];
  const m = req.steps ?? 20;
  if (!Number.isInteger(m) || m < 1) fail(`steps must be a positive integer (got ${m})`);
  const k = Math.max(1, Math.floor(req.beam ?? 1));
  const nRunners = Math.max(0, req.runnersUp ?? 5);
  const hooks = mlpHooks(cfg);
  const tgt: SuffixTarget = suffixTarget(target);

  const node = (layer: number, index: number, score: number): PathNode => ({
    hook: mlpHook(layer),
    index,
    position: nodePos,
    score,
    node: formatNodeId({ kind: 'neuron', layer, index, position: nodePos }),
  });

  const runner = await SuffixRunner.create(model, inputPrefix(cfg, req.ids, p), 0, hooks);
  try {
    const act = hooks.map((h) => runner.clean[h].data);
    /** A neuron's IG terms summed over the path positions (terms cover positions start..p). */
    const contrib = (_l: number, n: number, terms: Float32Array) => {
      let s = 0;
      for (const t of pos) s += terms[(t - start) * N + n];
      return s;
    };
    const width = Math.min(k, N);
    const exact = req.joint === 'exact';
    const total = exact ? N * (1 + (L - 1) * width) + m * L : m * (1 + (L - 1) * width) + m * (L - 1);
    let done = 0;
    const onSeq = (n: number) => opts.onProgress?.((done += n), total);
    const clean = await runner.run({ edits: [[]], targets: [tgt], start: p });
    const cleanValue = clean.targetValues[0];

    /** Exact joint attribution of prefix ∪ {n} for every n of layer l: by completeness, F(x) − F(prefix ∪ {n} zeroed). */
    const exactJoint = async (prefix: number[], l: number): Promise<Float32Array> => {
      const base: Edit[] = prefix.map((n, j) => ({ hook: mlpHook(j), index: n, op: 'zero', positions: pos }));
      const joint = new Float32Array(N);
      const steps = new StepBatch(suffixBatch(cfg, reach - start, reach), opts);
      for (let i = 0; i < N; ) {
        await betweenSteps(opts);
        const ns = Array.from({ length: Math.min(steps.size, N - i) }, (_, j) => i + j);
        i += ns.length;
        const r = await steps.time(() => runner.run({ edits: ns.map((n) => [...base, { hook: mlpHook(l), index: n, op: 'zero', positions: pos }]), targets: ns.map(() => tgt), start }));
        ns.forEach((n, b) => (joint[n] = cleanValue - r.targetValues[b]));
        onSeq(ns.length);
      }
      return joint;
    };

    // One batch sizer for every IG call of the search: the runs all have the same shape (the same suffix, the
    // gradient to the MLP neurons), so each layer starts at the size the previous ones found, not from 2 again.
    const igSteps = new StepBatch(suffixBatch(cfg, reach - start, reach), opts);
    // NeuronPath: beam search, one batched joint-IG run per layer (all beams together).
    type Beam = { nodes: number[]; scores: number[]; joints: Float32Array[]; score: number };
    let beams: Beam[] = [{ nodes: [], scores: [], joints: [], score: 0 }];
    const layerIg: Float32Array[] = [];
    for (let l = 0; l < L; l++) {
      await betweenSteps(opts);
      if (exact) {
        const candidates: Beam[] = [];
        for (const b of beams) {
          const joint = await exactJoint(b.nodes, l);
          for (const n of topK(joint, width)) candidates.push({ nodes: [...b.nodes, n], scores: [...b.scores, joint[n]], joints: [...b.joints, joint], score: joint[n] });
        }
        candidates.sort((a, b) => b.score - a.score);
        beams = candidates.slice(0, k);
        continue;
      }
      const jobs: IgJob[] = beams.map((b) => ({
        scaled: [{ hook: mlpHook(l), index: null, positions: pos }, ...b.nodes.map((n, j) => ({ hook: mlpHook(j), index: n, positions: pos }))],
      }));
      const g = await integratedTerms(runner, tgt, jobs, hooks.slice(0, l + 1), m, start, opts, onSeq, igSteps);
      const candidates: Beam[] = [];
      beams.forEach((b, bi) => {
        const prefix = b.nodes.reduce((s, n, j) => s + contrib(j, n, g[bi][mlpHook(j)]), 0);
        const joint = new Float32Array(N);
        const gl = g[bi][mlpHook(l)];
        for (let n = 0; n < N; n++) joint[n] = prefix + contrib(l, n, gl);
        if (l === 0) layerIg.push(joint.slice());
        for (const n of topK(joint, width)) candidates.push({ nodes: [...b.nodes, n], scores: [...b.scores, joint[n]], joints: [...b.joints, joint], score: joint[n] });
      });
      candidates.sort((a, b) => b.score - a.score);
      beams = candidates.slice(0, k);
    }
    const best = beams[0];
    const beamPaths = beams.map((b) => b.nodes.map((n, l) => node(l, n, b.scores[l])));
    const runners = best.nodes.map((n, l) => topK(best.joints[l], nRunners, new Set([n])).map((r) => node(l, r, best.joints[l][r])));

    // Per-layer IG (each layer scaled alone); layer 0 is the first step of the layer-scaled search.
    // One call per layer, so each run starts at that layer (the layers below it are the clean run's) and its
    // backward pass stops there: layer l costs (L − l) / L of a whole suffix run.
    for (let l = layerIg.length; l < L; l++) {
      await betweenSteps(opts);
      const g = await integratedTerms(runner, tgt, [{ scaled: [{ hook: hooks[l], index: null, positions: pos }] }], [hooks[l]], m, start, opts, onSeq, igSteps);
      const ig = new Float32Array(N);
      for (let n = 0; n < N; n++) ig[n] = contrib(l, n, g[0][hooks[l]]);
      layerIg.push(ig);
    }

    // grad × act at the path positions, every layer: one backward pass.
    const gx = await runner.run({ edits: [[]], targets: [tgt], capture: hooks, start });
    const gxaPath = hooks.map((h, l) => {
      const g = gx.grads[h].data;
      const sum = new Float32Array(N);
      for (const t of pos) for (let n = 0; n < N; n++) sum[n] += act[l][t * N + n] * g[(t - start) * N + n];
      const n = topK(sum, 1)[0];
      return node(l, n, sum[n]);
    });

    // Exact effects in one batch: each beam's prefixes removed, and each layer zeroed (IG completeness).
    const zero = (l: number, n: number | null): Edit => ({ hook: mlpHook(l), index: n, op: 'zero', positions: pos });
    const sets: Edit[][] = [];
    beams.forEach((b) => b.nodes.forEach((_, l) => sets.push(b.nodes.slice(0, l + 1).map((n, j) => zero(j, n)))));
    for (let l = 0; l < L; l++) sets.push([zero(l, null)]);
    const effects: number[] = [];
    const steps = new StepBatch(suffixBatch(cfg, reach - start, reach), opts);
    for (let i = 0; i < sets.length; ) {
      await betweenSteps(opts);
      const chunk = sets.slice(i, i + steps.size);
      i += chunk.length;
      const r = await steps.time(() => runner.run({ edits: chunk, targets: chunk.map(() => tgt), start }));
      for (const v of r.targetValues) effects.push(cleanValue - v);
    }
    beams.forEach((b, bi) => b.nodes.forEach((_, l) => (beamPaths[bi][l].removal = effects[bi * L + l])));
    const igCompleteness: IgCompleteness[] = layerIg.map((ig, l) => {
      const exactL = effects[beams.length * L + l];
      const sum = ig.reduce((a, x) => a + x, 0);
      return { layer: l, sum, exact: exactL, gap: Math.abs(sum - exactL) / Math.max(Math.abs(exactL), 1e-4) };
    });
    const warnings = igCompleteness
      .filter((c) => c.gap > IG_GAP_WARN)
      .map((c) => `integrated gradients of layer ${c.layer} miss completeness by ${(100 * c.gap).toFixed(1)}% with m = ${m} steps (sum ${c.sum.toFixed(4)} vs F(x) − F(layer zeroed) ${c.exact.toFixed(4)}); try --steps ${suggestSteps(m, c.gap)}`);

    // Baselines.
    const activation = act.map((a, l) => {
      const sum = new Float32Array(N);
      for (const t of pos) for (let n = 0; n < N; n++) sum[n] += a[t * N + n];
      const n = topK(sum, 1)[0];
      return node(l, n, sum[n]);
    });
    const layerIgPath = layerIg.map((ig, l) => {
      const n = topK(ig, 1)[0];
      return node(l, n, ig[n]);
    });
    const rng = new Rng(req.seed ?? 1);
    const random = layerIg.map((ig, l) => {
      const n = rng.int(N);
      return node(l, n, ig[n]);
    });

    await betweenSteps(opts);
    const edges = await pathEdges(runner, best.nodes, pos, act, nodePos);
    return {
      target,
      targetValue: clean.targetValues[0],
      positions: pos,
      path: beamPaths[0],
      beams: beamPaths,
      runners_up: runners,
      edges,
      baselines: { activation, layer_ig: layerIgPath, random, gxa: gxaPath },
      layerScores: best.joints.map((j) => j.slice()),
      layerIg,
      scoreKind: exact ? 'exact_removal' : 'layer_scaled_joint_ig',
      igCompleteness,
      warnings,
    };
  } finally {
    runner.dispose();
  }
}

/**
 * For consecutive path neurons u (layer l) → v (layer l+1): Σ_t a_u(t) · ∂(Σ_t' a_v(t'))/∂a_u(t) over the path
 * positions — gradient × activation of the downstream neuron with respect to the upstream one. One batched run.
 */
async function pathEdges(runner: SuffixRunner, nodes: number[], pos: number[], act: Float32Array[], nodePos: number | null): Promise<PathEdge[]> {
  const L = nodes.length;
  if (L < 2) return [];
  const N = runner.model.config.dMlp;
  const start = pos[0];
  const id = (l: number) => formatNodeId({ kind: 'neuron', layer: l, index: nodes[l], position: nodePos });
  const capture: HookName[] = Array.from({ length: L - 1 }, (_, l) => mlpHook(l));
  const targets: SuffixTarget[] = capture.map((_, l) => ({ kind: 'activation', hook: mlpHook(l + 1), index: nodes[l + 1], positions: pos }));
  const r = await runner.run({ edits: targets.map(() => []), targets, capture, start });
  return capture.map((h, l) => {
    const g = r.grads[h];
    const n = g.data.length / targets.length;
    let w = 0;
    for (const t of pos) w += act[l][t * N + nodes[l]] * g.data[l * n + (t - start) * N + nodes[l]];
    return { from: id(l), to: id(l + 1), weight: w };
  });
}
