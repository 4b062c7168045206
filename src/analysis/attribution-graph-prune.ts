/**
 * Influence and pruning of an attribution graph, as circuit-tracer does it (circuit_tracer/graph.py: normalize_matrix,
 * compute_influence, find_threshold, prune_graph), on a sparse edge list. Plain arithmetic, no tfjs.
 *
 * - Row normalisation: each node's incoming |weights| divided by their sum (Ā).
 * - Influence of every node on the logit: w · (Ā + Ā² + …) with w the logit's indicator. The graph is acyclic with
 *   edges from lower to higher read depth (attribution-graph-types.ts nodeDepth), so the series ends after the
 *   depth and is computed exactly in one pass from the logit down ((I − Ā)⁻¹ − I applied to w).
 * - Nodes: the fewest, by influence, whose influence reaches `nodeThreshold` of the total; embeddings and the logit
 *   always stay; at most `maxNodes` neurons, heads and rest nodes.
 * - Edges: on the pruned graph (renormalised), edge score = Ā'[v, u] · (influence'(v) + w(v)); the fewest edges whose
 *   scores reach `edgeThreshold` of their total, at most `maxEdges`. Then, repeatedly, neurons, heads and rest nodes
 *   without a kept outgoing edge, and neurons and heads without a kept incoming one, are dropped with their edges.
 */
import type { GraphNodeKind } from './attribution-graph-types';

export interface PruneInput {
  kinds: GraphNodeKind[];
  depth: number[];
  src: ArrayLike<number>;
  dst: ArrayLike<number>;
  w: ArrayLike<number>;
  logit: number;
}

export interface PruneOptions {
  nodeThreshold: number;
  edgeThreshold: number;
  maxNodes: number;
  maxEdges: number;
}

export interface PruneResult {
  /** Influence of every candidate on the logit (unpruned graph). */
  influence: Float64Array;
  /** circuit-tracer's cumulative score: the share of all influence held by the node and every node ranked above it. */
  cumulative: Float64Array;
  keepNode: Uint8Array;
  keepEdge: Uint8Array;
  /** Edge influence on the node-pruned graph (0 for edges outside it). */
  edgeScore: Float64Array;
}

/** Influence on the logit through the edges with `active[e]` (all when omitted). */
export function influenceOf(g: PruneInput, active?: Uint8Array): Float64Array {
  const n = g.kinds.length;
  const E = g.src.length;
  const rowAbs = new Float64Array(n);
  const inStart = new Int32Array(n + 1);
  for (let e = 0; e < E; e++) {
    if (active && !active[e]) continue;
    rowAbs[g.dst[e]] += Math.abs(g.w[e]);
    inStart[g.dst[e] + 1]++;
  }
  for (let v = 0; v < n; v++) inStart[v + 1] += inStart[v];
  const fill = inStart.slice(0, n);
  const inEdges = new Int32Array(inStart[n]);
  for (let e = 0; e < E; e++) if (!active || active[e]) inEdges[fill[g.dst[e]]++] = e;
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => g.depth[b] - g.depth[a]);
  const I = new Float64Array(n);
  for (const v of order) {
    const total = (v === g.logit ? 1 : 0) + I[v];
    if (total === 0 || rowAbs[v] === 0) continue;
    for (let i = inStart[v]; i < inStart[v + 1]; i++) {
      const e = inEdges[i];
      I[g.src[e]] += (Math.abs(g.w[e]) / rowAbs[v]) * total;
    }
  }
  return I;
}

/** The score at which the sorted scores' running sum first reaches `threshold` of their total (find_threshold). */
export function findThreshold(scores: ArrayLike<number>, threshold: number): number {
  const sorted = Array.from(scores).filter((s) => s > 0).sort((a, b) => b - a);
  const total = sorted.reduce((a, b) => a + b, 0);
  if (sorted.length === 0 || total === 0) return Infinity;
  let run = 0;
  for (let i = 0; i < sorted.length; i++) {
    run += sorted[i];
    if (run / total >= threshold - 1e-12) return sorted[i];
  }
  return sorted[sorted.length - 1];
}

const isInternal = (k: GraphNodeKind) => k !== 'embedding' && k !== 'logit';
const isUnit = (k: GraphNodeKind) => k === 'neuron' || k === 'head';

export function pruneGraph(g: PruneInput, o: PruneOptions): PruneResult {
  const n = g.kinds.length;
  const E = g.src.length;
  const influence = influenceOf(g);
  const cumulative = new Float64Array(n);
  {
    const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => influence[b] - influence[a] || a - b);
    const total = influence.reduce((a, b) => a + b, 0);
    let run = 0;
    for (const i of order) {
      run += influence[i];
      cumulative[i] = total > 0 ? run / total : 1;
    }
  }
  const keepNode = new Uint8Array(n);
  const thr = findThreshold(influence, o.nodeThreshold);
  const internal: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!isInternal(g.kinds[i])) keepNode[i] = 1;
    else if (influence[i] >= thr && influence[i] > 0) internal.push(i);
  }
  internal.sort((a, b) => influence[b] - influence[a] || a - b);
  for (const i of internal.slice(0, o.maxNodes)) keepNode[i] = 1;

  const active = new Uint8Array(E);
  for (let e = 0; e < E; e++) active[e] = keepNode[g.src[e]] && keepNode[g.dst[e]] ? 1 : 0;
  const pruned = influenceOf(g, active);
  const rowAbs = new Float64Array(n);
  for (let e = 0; e < E; e++) if (active[e]) rowAbs[g.dst[e]] += Math.abs(g.w[e]);
  const edgeScore = new Float64Array(E);
  for (let e = 0; e < E; e++) {
    if (!active[e]) continue;
    const v = g.dst[e];
    edgeScore[e] = (Math.abs(g.w[e]) / rowAbs[v]) * (pruned[v] + (v === g.logit ? 1 : 0));
  }
  const ethr = findThreshold(edgeScore, o.edgeThreshold);
  const kept: number[] = [];
  for (let e = 0; e < E; e++) if (active[e] && edgeScore[e] >= ethr && edgeScore[e] > 0) kept.push(e);
  kept.sort((a, b) => edgeScore[b] - edgeScore[a] || a - b);
  const keepEdge = new Uint8Array(E);
  for (const e of kept.slice(0, o.maxEdges)) keepEdge[e] = 1;

  // Internal nodes need a kept outgoing edge, neurons and heads an incoming one; repeat until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    const hasOut = new Uint8Array(n);
    const hasIn = new Uint8Array(n);
    for (let e = 0; e < E; e++) {
      if (!keepEdge[e]) continue;
      hasOut[g.src[e]] = 1;
      hasIn[g.dst[e]] = 1;
    }
    for (let i = 0; i < n; i++) {
      if (!keepNode[i] || !isInternal(g.kinds[i])) continue;
      if (!hasOut[i] || (isUnit(g.kinds[i]) && !hasIn[i])) {
        keepNode[i] = 0;
        changed = true;
      }
    }
    for (let e = 0; e < E; e++) if (keepEdge[e] && (!keepNode[g.src[e]] || !keepNode[g.dst[e]])) keepEdge[e] = 0;
  }
  return { influence, cumulative, keepNode, keepEdge, edgeScore };
}
