/**
 * Where the position graph puts things (no DOM): one row per prompt position that holds a drawn node, labelled with
 * its token; one column per read depth — the embeddings, then each layer's attention (heads, rest) and MLP
 * (neurons, rest) — and the logit last. Nodes sharing a cell sit side by side, the most influential first.
 */
import type { AttributionGraph, AttributionGraphNode } from '../analysis/attribution-graph-types';
import { nodeDepth } from '../analysis/attribution-graph-types';
import { visibleToken } from './tokens';

export interface LaidOutNode {
  node: AttributionGraphNode;
  x: number;
  y: number;
  r: number;
  /** How many nodes share its cell (position × column). */
  cellCount: number;
}

export interface PositionGraphLayout {
  width: number;
  height: number;
  rows: Array<{ position: number; y: number; label: string }>;
  columns: Array<{ depth: number; x: number; label: string; layer: number | null }>;
  nodes: LaidOutNode[];
  byId: Map<string, LaidOutNode>;
}

export const LABEL_W = 120;
const TOP = 34;
const ROW_H = 26;
const MIN_SUB = 56;
const R_MIN = 3;
const R_MAX = 9;

/** Which nodes are drawn: every non-embedding node, and embeddings with a kept edge. */
export function drawnNodes(g: AttributionGraph): AttributionGraphNode[] {
  const linked = new Set(g.edges.flatMap((e) => [e.source, e.target]));
  return g.nodes.filter((n) => n.kind !== 'embedding' || linked.has(n.id));
}

export function columnLabel(depth: number, nLayer: number): string {
  if (depth === 0) return 'emb';
  if (depth === 2 * nLayer + 1) return 'logit';
  const l = Math.floor((depth - 1) / 2);
  return depth % 2 === 1 ? `L${l} attn` : `L${l} mlp`;
}

export function layoutPositionGraph(g: AttributionGraph, availableWidth = 900): PositionGraphLayout {
  const L = g.nLayer;
  const nodes = drawnNodes(g);
  const depthOf = (n: AttributionGraphNode) => nodeDepth(n.kind, n.layer, L);
  const cells = new Map<string, AttributionGraphNode[]>();
  for (const n of nodes) {
    const key = `${n.position}/${depthOf(n)}`;
    cells.set(key, [...(cells.get(key) ?? []), n]);
  }
  const widest = Math.max(1, ...[...cells.values()].map((c) => c.length));
  const nCols = 2 * L + 2;
  const sub = Math.max(MIN_SUB, Math.min(16 * widest + 8, (availableWidth - LABEL_W) / nCols));
  const positions = [...new Set(nodes.map((n) => n.position))].sort((a, b) => a - b);
  const rows = positions.map((position, i) => ({ position, y: TOP + ROW_H * (i + 0.5), label: `${position} ${visibleToken(g.tokenStrings[position] ?? '')}` }));
  const rowY = new Map(rows.map((r) => [r.position, r.y]));
  const columns = Array.from({ length: nCols }, (_, depth) => ({
    depth,
    x: LABEL_W + sub * (depth + 0.5),
    label: columnLabel(depth, L),
    layer: depth === 0 || depth === nCols - 1 ? null : Math.floor((depth - 1) / 2),
  }));
  const maxInfluence = Math.max(1e-12, ...nodes.filter((n) => n.kind !== 'logit').map((n) => n.influence));
  const laid: LaidOutNode[] = [];
  for (const [key, cell] of cells) {
    const [position, depth] = key.split('/').map(Number);
    const sorted = [...cell].sort((a, b) => b.influence - a.influence || a.index - b.index);
    const step = Math.min(16, (sub - 8) / sorted.length);
    const x0 = columns[depth].x - (step * (sorted.length - 1)) / 2;
    sorted.forEach((n, i) => {
      const r = n.kind === 'logit' ? R_MAX : R_MIN + (R_MAX - R_MIN) * Math.sqrt(Math.min(1, n.influence / maxInfluence));
      laid.push({ node: n, x: x0 + i * step, y: rowY.get(position)!, r: Math.min(r, Math.max(R_MIN, step / 2)), cellCount: sorted.length });
    });
  }
  return {
    width: LABEL_W + sub * nCols,
    height: TOP + ROW_H * rows.length + 10,
    rows,
    columns,
    nodes: laid,
    byId: new Map(laid.map((n) => [n.node.id, n])),
  };
}
