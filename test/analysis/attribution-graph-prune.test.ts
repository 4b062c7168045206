/** Influence and pruning (circuit-tracer's algorithm) on hand-built graphs, against dense matrix arithmetic. */
import { describe, expect, it } from 'vitest';
import { findThreshold, influenceOf, pruneGraph, type PruneInput } from '../../src/analysis/attribution-graph-prune';
import type { GraphNodeKind } from '../../src/analysis/attribution-graph-types';
import { Rng } from '../../src/analysis/rng';

/** A random layered DAG: embeddings at depth 0, units at depths 1..4, the logit at 5; edges only upward in depth. */
function randomGraph(seed: number): PruneInput {
  const rng = new Rng(seed);
  const kinds: GraphNodeKind[] = [];
  const depth: number[] = [];
  for (let i = 0; i < 4; i++) (kinds.push('embedding'), depth.push(0));
  for (let d = 1; d <= 4; d++) for (let i = 0; i < 5; i++) (kinds.push(i === 4 ? (d % 2 ? 'attn_rest' : 'mlp_rest') : d % 2 ? 'head' : 'neuron'), depth.push(d));
  kinds.push('logit');
  depth.push(5);
  const src: number[] = [];
  const dst: number[] = [];
  const w: number[] = [];
  for (let v = 0; v < kinds.length; v++) {
    if (kinds[v] === 'embedding' || kinds[v].endsWith('rest')) continue;
    for (let u = 0; u < kinds.length; u++) if (depth[u] < depth[v] && kinds[u] !== 'logit' && rng.next() < 0.6) (src.push(u), dst.push(v), w.push((rng.next() - 0.4) * 3));
  }
  return { kinds, depth, src, dst, w, logit: kinds.length - 1 };
}

/** w · (Ā + Ā² + …) with dense matrices, Ā the row-normalised |A| (rows: targets). */
function denseInfluence(g: PruneInput): number[] {
  const n = g.kinds.length;
  const A = Array.from({ length: n }, () => new Array<number>(n).fill(0));
  for (let e = 0; e < g.src.length; e++) A[g.dst[e]][g.src[e]] += Math.abs(g.w[e]);
  for (const row of A) {
    const s = row.reduce((a, b) => a + b, 0);
    if (s > 0) for (let j = 0; j < n; j++) row[j] /= s;
  }
  let cur = new Array<number>(n).fill(0);
  cur[g.logit] = 1;
  const total = new Array<number>(n).fill(0);
  for (let k = 0; k < n; k++) {
    const next = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) if (cur[i]) for (let j = 0; j < n; j++) next[j] += cur[i] * A[i][j];
    for (let j = 0; j < n; j++) total[j] += next[j];
    cur = next;
  }
  return total;
}

describe('attribution graph pruning', () => {
  it('influence equals the matrix series w(Ā + Ā² + …) (= w((I − Ā)⁻¹ − I))', () => {
    for (const seed of [1, 2, 3]) {
      const g = randomGraph(seed);
      const I = influenceOf(g);
      const dense = denseInfluence(g);
      dense.forEach((x, i) => expect(I[i]).toBeCloseTo(x, 10));
      // Rows sum to 1, so the logit's unit of influence ends, all of it, at the nodes nothing feeds (embeddings, rest nodes).
      const sinks = g.kinds.map((_, i) => i).filter((i) => !Array.from(g.dst).includes(i) && i !== g.logit);
      expect(sinks.reduce((a, i) => a + I[i], 0)).toBeCloseTo(1, 10);
    }
  });

  it('find_threshold: the fewest top scores whose sum reaches the threshold', () => {
    expect(findThreshold([5, 1, 3, 1], 0.5)).toBe(5);
    expect(findThreshold([5, 1, 3, 1], 0.6)).toBe(3);
    expect(findThreshold([5, 1, 3, 1], 1)).toBe(1);
    expect(findThreshold([0, 0], 0.5)).toBe(Infinity);
  });

  it('keeps embeddings and the logit, respects the caps, and leaves no dangling unit', () => {
    const g = randomGraph(7);
    for (const [nodeThreshold, edgeThreshold, maxNodes, maxEdges] of [[0.8, 0.98, 200, 2000], [0.5, 0.7, 200, 2000], [1, 1, 3, 5]]) {
      const r = pruneGraph(g, { nodeThreshold, edgeThreshold, maxNodes, maxEdges });
      g.kinds.forEach((k, i) => (k === 'embedding' || k === 'logit') && expect(r.keepNode[i]).toBe(1));
      const internal = g.kinds.map((k, i) => (k !== 'embedding' && k !== 'logit' && r.keepNode[i] ? 1 : 0) as number).reduce((a, b) => a + b, 0);
      expect(internal).toBeLessThanOrEqual(maxNodes);
      expect(r.keepEdge.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(maxEdges);
      for (let i = 0; i < g.kinds.length; i++) {
        if (!r.keepNode[i] || g.kinds[i] === 'embedding' || g.kinds[i] === 'logit') continue;
        const out = Array.from(g.src).some((s, e) => s === i && r.keepEdge[e]);
        const inn = Array.from(g.dst).some((d, e) => d === i && r.keepEdge[e]);
        expect(out).toBe(true);
        if (g.kinds[i] === 'head' || g.kinds[i] === 'neuron') expect(inn).toBe(true);
      }
      for (let e = 0; e < g.src.length; e++) if (r.keepEdge[e]) expect(r.keepNode[g.src[e]] && r.keepNode[g.dst[e]]).toBe(1);
      // Cumulative scores rise as influence falls and end at 1.
      const order = Array.from(r.influence.keys()).sort((a, b) => r.influence[b] - r.influence[a]);
      for (let k = 1; k < order.length; k++) expect(r.cumulative[order[k]]).toBeGreaterThanOrEqual(r.cumulative[order[k - 1]] - 1e-12);
      expect(Math.max(...r.cumulative)).toBeCloseTo(1, 10);
    }
  });
});
