/**
 * Turns a path search or an attribution into what the path graph draws: per layer a capped, pruned set of
 * neuron and head nodes, and weighted edges. Pure data, no DOM.
 */
import type { AttributionResult } from '../analysis/attribution';
import type { PathResult } from '../analysis/path';
import { formatNodeId, type NodeId } from '../engine/nodeid';

export interface GraphNode {
  id: NodeId;
  kind: 'neuron' | 'head';
  layer: number;
  index: number;
  position: number;
  score: number;
  /** Role in a path search. */
  role: 'path' | 'runner' | 'top';
  /** An active edit changes this unit at this position. */
  edited?: boolean;
}

export interface GraphEdge {
  from: NodeId;
  to: NodeId;
  weight: number;
  role: 'path' | 'faint';
}

export interface GraphData {
  layers: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Largest |score| drawn, for scaling. */
  maxAbs: number;
}

/** Neurons drawn per layer by default; the rest are pruned by |score| (the graph's "per layer" setting changes it). */
export const MAX_NEURONS_PER_LAYER = 10;
/** The most neurons per layer the graph draws at any setting. */
export const PER_LAYER_LIMIT = 32;

/**
 * The k indices of largest |value|, largest first (ties: lower index first). One pass with a small sorted buffer:
 * a layer of 3072 neurons × 12 layers would otherwise be sorted whole on the main thread at every draw.
 */
export function topIndices(values: ArrayLike<number>, k: number): number[] {
  const idx: number[] = [];
  const mag: number[] = [];
  for (let i = 0; i < values.length && k > 0; i++) {
    const m = Math.abs(values[i]);
    if (idx.length === k && !(m > mag[k - 1])) continue;
    let j = idx.length === k ? k - 1 : idx.length;
    while (j > 0 && mag[j - 1] < m) {
      idx[j] = idx[j - 1];
      mag[j] = mag[j - 1];
      j--;
    }
    idx[j] = i;
    mag[j] = m;
  }
  return idx;
}

function headNodes(heads: AttributionResult | null, nLayer: number, position: number): GraphNode[] {
  if (!heads) return [];
  const out: GraphNode[] = [];
  for (let l = 0; l < nLayer; l++) {
    const s = heads.scores[`blocks.${l}.attn.hook_z`];
    if (!s) continue;
    const H = s.shape[1];
    for (let h = 0; h < H; h++) {
      out.push({ id: formatNodeId({ kind: 'head', layer: l, index: h, position }), kind: 'head', layer: l, index: h, position, score: s.data[position * H + h], role: 'top' });
    }
  }
  return out;
}

export function graphFromPath(r: PathResult, heads: AttributionResult | null, nLayer: number, perLayer = MAX_NEURONS_PER_LAYER): GraphData {
  const cap = Math.max(1, Math.min(PER_LAYER_LIMIT, perLayer));
  const p = r.target.position;
  const nodes: GraphNode[] = [];
  const edges: GraphEdge[] = [];
  for (let l = 0; l < nLayer; l++) {
    const pathNode = r.path[l];
    const chosen = new Set<number>([pathNode.index]);
    nodes.push({ id: pathNode.node, kind: 'neuron', layer: l, index: pathNode.index, position: p, score: r.layerScores[l]?.[pathNode.index] ?? pathNode.score, role: 'path' });
    for (const ru of r.runners_up[l] ?? []) {
      if (chosen.size >= cap || chosen.has(ru.index)) continue;
      chosen.add(ru.index);
      nodes.push({ id: ru.node, kind: 'neuron', layer: l, index: ru.index, position: p, score: ru.score, role: 'runner' });
    }
  }
  for (const e of r.edges) edges.push({ from: e.from, to: e.to, weight: e.weight, role: 'path' });
  // Faint edges: each path node to the runners-up of the next layer.
  for (let l = 0; l + 1 < nLayer; l++) {
    for (const n of nodes.filter((x) => x.layer === l + 1 && x.role === 'runner')) edges.push({ from: r.path[l].node, to: n.id, weight: 0, role: 'faint' });
  }
  nodes.push(...headNodes(heads, nLayer, p));
  return { layers: nLayer, nodes, edges, maxAbs: Math.max(1e-9, ...nodes.map((n) => Math.abs(n.score))) };
}

/** Per layer, the `k` neurons with the largest |score| at the attribution's target position (empty for layers not attributed). */
export function topNeuronsPerLayer(r: AttributionResult, nLayer: number, k: number): number[][] {
  const p = r.target.position;
  return Array.from({ length: nLayer }, (_, l) => {
    const s = r.scores[`blocks.${l}.mlp.hook_post`];
    if (!s) return [];
    const N = s.shape[1];
    return topIndices(s.data.subarray(p * N, (p + 1) * N), k);
  });
}

/** `edges`: gradient × activation between top neurons of consecutive layers (drawn where both ends are shown). */
export function graphFromAttribution(r: AttributionResult, nLayer: number, perLayer = MAX_NEURONS_PER_LAYER, edges: ReadonlyArray<{ from: NodeId; to: NodeId; weight: number }> = []): GraphData {
  const cap = Math.max(1, Math.min(PER_LAYER_LIMIT, perLayer));
  const p = r.target.position;
  const nodes: GraphNode[] = [];
  for (let l = 0; l < nLayer; l++) {
    const s = r.scores[`blocks.${l}.mlp.hook_post`];
    if (!s) continue;
    const N = s.shape[1];
    const row = s.data.subarray(p * N, (p + 1) * N);
    for (const i of topIndices(row, cap)) {
      nodes.push({ id: formatNodeId({ kind: 'neuron', layer: l, index: i, position: p }), kind: 'neuron', layer: l, index: i, position: p, score: row[i], role: 'top' });
    }
  }
  nodes.push(...headNodes(r, nLayer, p));
  const shown = new Set(nodes.map((n) => n.id));
  const drawn: GraphEdge[] = edges.filter((e) => shown.has(e.from) && shown.has(e.to)).map((e) => ({ from: e.from, to: e.to, weight: e.weight, role: 'path' }));
  return { layers: nLayer, nodes, edges: drawn, maxAbs: Math.max(1e-9, ...nodes.map((n) => Math.abs(n.score))) };
}

/** Marks the nodes an active edit changes (same hook and unit, every position or the node's). */
export function markEdited(g: GraphData, edits: ReadonlyArray<{ hook: string; index: number | null; positions: number[] | null }>): GraphData {
  if (edits.length === 0) return g;
  const hookOf = (n: GraphNode) => (n.kind === 'neuron' ? `blocks.${n.layer}.mlp.hook_post` : `blocks.${n.layer}.attn.hook_z`);
  const hit = (n: GraphNode) => edits.some((e) => e.hook === hookOf(n) && (e.index === null || e.index === n.index) && (e.positions === null || e.positions.includes(n.position)));
  return { ...g, nodes: g.nodes.map((n) => (hit(n) ? { ...n, edited: true } : n)) };
}
