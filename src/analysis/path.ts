/**
 * Neuron paths — NeuronPath (joint integrated gradients, layer by layer) adapted to language models — and the
 * baselines it is compared with. A path holds one MLP neuron per layer at the target position.
 */
import { formatNodeId, type NodeId } from '../engine/nodeid';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, Target } from '../engine/types';
import { Rng } from '../train/rng';
import { integratedGradient, resolveTarget } from './attribution';
import { checkCancelled, type AnalysisOptions } from './options';
import { mlpHook, mlpHooks, unbatch } from './scores';

export interface PathRequest {
  ids: number[];
  target: Target;
  /** Integrated-gradient steps; default 20. */
  steps?: number;
  /** Number of paths kept by the beam search; default 1. */
  beam?: number;
  /** Runners-up reported per layer; default 5. */
  runnersUp?: number;
  /** Seed of the random baseline. */
  seed?: number;
}

export interface PathNode {
  hook: string;
  index: number;
  position: number;
  /** Joint attribution of the path up to and including this node (NeuronPath), or the baseline's own score. */
  score: number;
  node: NodeId;
}

export interface PathEdge {
  from: NodeId;
  to: NodeId;
  /** Gradient × activation of the downstream neuron with respect to the upstream one. */
  weight: number;
}

export interface PathResult {
  target: Target & { position: number };
  targetValue: number;
  path: PathNode[];
  /** All beam paths, best first (the first equals `path`). */
  beams: PathNode[][];
  runners_up: PathNode[][];
  edges: PathEdge[];
  baselines: { activation: PathNode[]; layer_ig: PathNode[]; random: PathNode[] };
  /** Per layer, every neuron's joint score with the best path's prefix (for drawing the layer). */
  layerScores: Float32Array[];
}

function node(layer: number, index: number, position: number, score: number): PathNode {
  return { hook: mlpHook(layer), index, position, score, node: formatNodeId({ kind: 'neuron', layer, index, position }) };
}

function topK(values: Float32Array, k: number, exclude = new Set<number>()): number[] {
  return Array.from(values.keys()).filter((i) => !exclude.has(i)).sort((a, b) => values[b] - values[a]).slice(0, k);
}

export async function findPath(model: Model, req: PathRequest, opts: AnalysisOptions = {}): Promise<PathResult> {
  const { nLayer: L, dMlp: N } = model.config;
  const T = req.ids.length;
  const target = resolveTarget(req.target, T);
  const p = target.position;
  const m = req.steps ?? 20;
  const beamWidth = Math.max(1, req.beam ?? 1);
  const nRunners = req.runnersUp ?? 5;
  const hooks = mlpHooks(model.config);
  const clean = await runModel(model, { inputIds: [req.ids], capture: hooks, target, logits: 'none' });
  const act = hooks.map((h) => unbatch(clean.activations[h]).data.slice(p * N, (p + 1) * N));
  const total = 2 * L * beamWidth;
  let done = 0;
  const step = () => opts.onProgress?.(++done, total);

  // NeuronPath: beam search, one batched joint-IG run per (beam path, layer).
  type Beam = { nodes: number[]; scores: number[]; score: number };
  let beams: Beam[] = [{ nodes: [], scores: [], score: 0 }];
  const runners: PathNode[][] = [];
  const layerScores: Float32Array[] = [];
  for (let l = 0; l < L; l++) {
    const candidates: Beam[] = [];
    for (let bi = 0; bi < beams.length; bi++) {
      checkCancelled(opts);
      const b = beams[bi];
      const alsoScale: Edit[] = b.nodes.map((n, layer) => ({ hook: mlpHook(layer), index: n, op: 'scale', value: 1, positions: [p] }));
      const capture = [...b.nodes.map((_, layer) => mlpHook(layer)), mlpHook(l)];
      const g = await integratedGradient(model, req.ids, target, mlpHook(l), [p], m, opts, undefined, alsoScale, capture);
      step();
      const prefix = b.nodes.reduce((s, n, layer) => s + act[layer][n] * g[mlpHook(layer)][p * N + n], 0);
      const joint = new Float32Array(N);
      for (let n = 0; n < N; n++) joint[n] = prefix + act[l][n] * g[mlpHook(l)][p * N + n];
      if (bi === 0) {
        layerScores.push(joint);
        const best = topK(joint, 1)[0];
        runners.push(topK(joint, nRunners, new Set([best])).map((n) => node(l, n, p, joint[n])));
      }
      for (const n of topK(joint, beamWidth)) candidates.push({ nodes: [...b.nodes, n], scores: [...b.scores, joint[n]], score: joint[n] });
    }
    candidates.sort((a, b) => b.score - a.score);
    beams = candidates.slice(0, beamWidth);
  }
  const beamPaths = beams.map((b) => b.nodes.map((n, l) => node(l, n, p, b.scores[l])));

  // Baselines.
  const activation = act.map((a, l) => {
    const n = topK(a, 1)[0];
    return node(l, n, p, a[n]);
  });
  const layerIg: PathNode[] = [];
  for (let l = 0; l < L; l++) {
    checkCancelled(opts);
    const g = (await integratedGradient(model, req.ids, target, mlpHook(l), [p], m, opts))[mlpHook(l)];
    step();
    const ig = new Float32Array(N);
    for (let n = 0; n < N; n++) ig[n] = act[l][n] * g[p * N + n];
    const n = topK(ig, 1)[0];
    layerIg.push(node(l, n, p, ig[n]));
  }
  const rng = new Rng(req.seed ?? 1);
  const random = Array.from({ length: L }, (_, l) => {
    const n = rng.int(N);
    return node(l, n, p, act[l][n]);
  });
  const best = beamPaths[0];
  return {
    target,
    targetValue: clean.targetValues![0],
    path: best,
    beams: beamPaths,
    runners_up: runners,
    edges: await pathEdges(model, req.ids, best),
    baselines: { activation, layer_ig: layerIg, random },
    layerScores,
  };
}

/** For consecutive path neurons u → v: ∂a_v/∂a_u × a_u at the target position. */
export async function pathEdges(model: Model, ids: number[], path: PathNode[]): Promise<PathEdge[]> {
  const N = model.config.dMlp;
  const edges: PathEdge[] = [];
  for (let i = 0; i + 1 < path.length; i++) {
    const u = path[i];
    const v = path[i + 1];
    const r = await runModel(model, {
      inputIds: [ids],
      capture: [u.hook],
      target: { kind: 'activation', token: 0, hook: v.hook, index: v.index, position: v.position },
      logits: 'none',
    });
    const a = r.activations[u.hook].data[u.position * N + u.index];
    const g = r.grads[u.hook].data[u.position * N + u.index];
    edges.push({ from: u.node, to: v.node, weight: a * g });
  }
  return edges;
}
