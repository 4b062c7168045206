/**
 * A position-resolved attribution graph of one prompt (docs/terminology.md, "Attribution graph"): nodes are the
 * embedding at each position, attention heads and MLP neurons at each position, the rest of each layer's heads and
 * neurons at each position, and the target metric at the last position; edges are the linearised direct effect of
 * one node on another through the residual stream only (attribution-graph-edges.ts), pruned by influence as
 * circuit-tracer prunes (attribution-graph-prune.ts).
 *
 * One forward and one backward pass of the engine (captures, and the target's gradient for ranking candidates),
 * then plain arithmetic and a few small products on the backend: the top `candidatesPerLayer` neurons and
 * `headCandidatesPerLayer` heads of each layer by |grad × act| of the target (any position) become nodes.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import { LOGIT_TARGET_KINDS, type LogitTargetKind } from '../engine/types';
import { candidateGraph, type CandidateGraph } from './attribution-graph-edges';
import { graphHooks } from './attribution-graph-io';
import { pruneGraph } from './attribution-graph-prune';
import { DEFAULT_GRAPH_SETTINGS, graphNodeId, type AttributionGraph, type AttributionGraphEdge, type AttributionGraphNode, type AttributionGraphSettings } from './attribution-graph-types';
import { betweenSteps, type AnalysisOptions } from './options';
import { softmaxAt } from './targets';

export * from './attribution-graph-types';

export interface AttributionGraphRequest extends Partial<AttributionGraphSettings> {
  ids: number[];
  /** Read at the last position of `ids`. */
  target: { kind: LogitTargetKind; token: number; distractor?: number };
}

function settingsOf(req: AttributionGraphRequest): AttributionGraphSettings {
  const s: AttributionGraphSettings = { ...DEFAULT_GRAPH_SETTINGS };
  for (const k of Object.keys(DEFAULT_GRAPH_SETTINGS) as Array<keyof AttributionGraphSettings>) if (req[k] !== undefined) (s as unknown as Record<string, unknown>)[k] = req[k];
  for (const k of ['nodeThreshold', 'edgeThreshold'] as const) if (!(s[k] >= 0 && s[k] <= 1)) fail(`${k} must lie in 0..1 (got ${s[k]})`);
  for (const k of ['maxNodes', 'maxEdges', 'candidatesPerLayer', 'headCandidatesPerLayer'] as const) {
    if (!Number.isInteger(s[k]) || s[k] < 1) fail(`${k} must be a positive integer (got ${s[k]})`);
  }
  if (s.attention !== 'ov' && s.attention !== 'ov+qk') fail(`attention must be ov or ov+qk (got ${String(s.attention)})`);
  return s;
}

/** The candidate graph before pruning (every candidate node and edge), for tests and for callers that prune themselves. */
export async function attributionCandidates(model: Model, req: AttributionGraphRequest, opts: AnalysisOptions = {}) {
  const cfg = model.config;
  const T = req.ids.length;
  if (T === 0) fail('the prompt is empty: at least one token is needed');
  const { kind, token, distractor } = req.target;
  if (!(LOGIT_TARGET_KINDS as readonly string[]).includes(kind)) fail(`target kind "${kind}" is not one of ${LOGIT_TARGET_KINDS.join(', ')}`);
  if (kind === 'logit_diff' && distractor === undefined) fail('a logit_diff target needs a distractor token');
  if (kind !== 'logit_diff' && distractor !== undefined) fail('a distractor is only used with a logit_diff target');
  const settings = settingsOf(req);
  const r = await runModel(model, { inputIds: [req.ids], capture: graphHooks(model), target: { kind, token, distractor, position: T - 1 }, logits: 'last' });
  const cand = await candidateGraph(
    model,
    { T, act: (h) => r.activations[h].data, grad: (h) => r.grads[h].data, lastLogits: r.logits!.data },
    { ...settings, metric: { kind, token, distractor }, step: () => betweenSteps(opts) },
  );
  const logitNode = cand.nodes[cand.logit];
  logitNode.activation = r.targetValues![0];
  return { cand, settings, targetValue: r.targetValues![0], prob: softmaxAt(r.logits!.data, 0, cfg.vocabSize, token) };
}

export async function attributionGraph(model: Model, req: AttributionGraphRequest, opts: AnalysisOptions = {}): Promise<AttributionGraph> {
  const t0 = performance.now();
  const { cand, settings, targetValue, prob } = await attributionCandidates(model, req, opts);
  const pr = pruneGraph({ kinds: cand.nodes.map((n) => n.kind), depth: cand.nodes.map((n) => n.depth), src: cand.src, dst: cand.dst, w: cand.w, logit: cand.logit }, settings);
  const ids = idsOf(cand);
  const nodes: AttributionGraphNode[] = [];
  let keptInfluence = 0;
  let totalInfluence = 0;
  cand.nodes.forEach((n, i) => {
    totalInfluence += pr.influence[i];
    if (!pr.keepNode[i]) return;
    keptInfluence += pr.influence[i];
    nodes.push({
      id: ids[i],
      kind: n.kind,
      layer: n.layer,
      index: n.kind === 'embedding' ? req.ids[n.position] : n.index,
      position: n.position,
      activation: n.activation,
      gxa: n.gxa,
      influence: pr.influence[i],
      cumulative: pr.cumulative[i],
    });
  });
  const edges: AttributionGraphEdge[] = [];
  for (let e = 0; e < cand.src.length; e++) {
    if (!pr.keepEdge[e]) continue;
    const target = cand.nodes[cand.dst[e]];
    edges.push({ source: ids[cand.src[e]], target: ids[cand.dst[e]], weight: cand.w[e], ...(target.kind === 'head' ? { qk: cand.qk[e] } : {}), score: pr.edgeScore[e] });
  }
  edges.sort((a, b) => b.score - a.score);
  const tok = model.tokenizer;
  const tokenStrings = req.ids.map((id) => tok?.tokenString(id) ?? `#${id}`);
  return {
    model: model.name,
    nLayer: model.config.nLayer,
    tokens: [...req.ids],
    tokenStrings,
    prompt: tok ? tok.decode(req.ids) : tokenStrings.join(''),
    target: {
      ...req.target,
      position: req.ids.length - 1,
      value: targetValue,
      prob,
      tokenString: tok?.tokenString(req.target.token) ?? `#${req.target.token}`,
      ...(req.target.distractor !== undefined ? { distractorString: tok?.tokenString(req.target.distractor) ?? `#${req.target.distractor}` } : {}),
    },
    settings,
    nodes,
    edges,
    stats: {
      candidates: cand.nodes.length,
      candidateEdges: cand.src.length,
      keptNodes: nodes.length,
      keptEdges: edges.length,
      keptInfluence: totalInfluence > 0 ? keptInfluence / totalInfluence : 0,
      ms: Math.round(performance.now() - t0),
    },
  };
}

/** The graph id of every candidate node. */
export function idsOf(cand: CandidateGraph): string[] {
  return cand.nodes.map((n) => graphNodeId(n.kind, n.layer, n.index, n.position));
}
