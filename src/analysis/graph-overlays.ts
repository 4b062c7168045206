/**
 * Overlays on an attribution graph, as plain data (no tfjs): the nodes and edges of a NeuronPath path
 * (path.ts's PathResult), and a patching result's scores (patching.ts's PatchResult) on the graph's neurons, heads
 * and embeddings. The position graph view (src/views/position-graph.ts) highlights them; exports carry them.
 */
import { parseNodeId } from '../engine/nodeid';
import type { PatchResult } from './patching';
import type { PathResult } from './path';
import type { AttributionGraph, AttributionGraphNode } from './attribution-graph-types';

export interface PathOverlay {
  /** Graph node ids on the path (a path node without a position marks that unit at every position in the graph). */
  nodes: string[];
  /** Kept graph edges joining two path nodes of consecutive path layers, as [source, target]. */
  edges: Array<[string, string]>;
  /** Path nodes (NodeId) with no graph node: not kept by pruning, or not a candidate. */
  missing: string[];
}

export interface PatchOverlay {
  metric: PatchResult['metric'];
  method: PatchResult['method'];
  direction: PatchResult['direction'];
  /** Graph node id → the patching score of that unit at that position (neurons, heads; embeddings: resid_pre of block 0). */
  scores: Record<string, number>;
  /** Largest |score| among them (for colour scales). */
  maxAbs: number;
}

export interface GraphOverlays {
  path?: PathOverlay;
  patching?: PatchOverlay;
}

const matches = (n: AttributionGraphNode, layer: number, index: number, position: number | null) =>
  n.kind === 'neuron' && n.layer === layer && n.index === index && (position === null || n.position === position);

/** Marks the graph nodes on the best NeuronPath path and the graph edges between consecutive path nodes. */
export function pathOverlay(g: AttributionGraph, r: Pick<PathResult, 'path'>): PathOverlay {
  const perLayer = r.path.map((p) => ({ p, ids: g.nodes.filter((n) => matches(n, parseNodeId(p.node).layer, p.index, p.position)).map((n) => n.id) }));
  const nodes = perLayer.flatMap((x) => x.ids);
  const missing = perLayer.filter((x) => x.ids.length === 0).map((x) => x.p.node);
  const edges: Array<[string, string]> = [];
  for (let i = 0; i + 1 < perLayer.length; i++) {
    const from = new Set(perLayer[i].ids);
    const to = new Set(perLayer[i + 1].ids);
    for (const e of g.edges) if (from.has(e.source) && to.has(e.target)) edges.push([e.source, e.target]);
  }
  return { nodes, edges, missing };
}

/**
 * A patching result's score for each graph node it covers: `blocks.L.mlp.hook_post` [T, N] for neurons,
 * `blocks.L.attn.hook_z` [T, H] for heads, `blocks.0.hook_resid_pre` [T, 1] for embeddings (the whole first
 * residual vector), read at the node's position. Prompts must have the graph's length.
 */
export function patchOverlay(g: AttributionGraph, r: Pick<PatchResult, 'metric' | 'method' | 'direction' | 'scores'>): PatchOverlay {
  const scores: Record<string, number> = {};
  const read = (hook: string, position: number, unit: number): number | undefined => {
    const s = r.scores[hook];
    if (!s || position >= s.shape[0] || unit >= s.shape[1]) return undefined;
    return s.data[position * s.shape[1] + unit];
  };
  for (const n of g.nodes) {
    const v =
      n.kind === 'neuron' ? read(`blocks.${n.layer}.mlp.hook_post`, n.position, n.index)
      : n.kind === 'head' ? read(`blocks.${n.layer}.attn.hook_z`, n.position, n.index)
      : n.kind === 'embedding' ? read('blocks.0.hook_resid_pre', n.position, 0)
      : undefined;
    if (v !== undefined && Number.isFinite(v)) scores[n.id] = v;
  }
  const maxAbs = Math.max(0, ...Object.values(scores).map(Math.abs));
  return { metric: r.metric, method: r.method, direction: r.direction, scores, maxAbs };
}
