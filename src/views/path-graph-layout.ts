/** The path graph's geometry: column width, circle and square sizes, the head grid, from the container's width. */
import type { GraphData, GraphNode } from './graph-data';

/** Narrowest column: room for a circle, its label and the gap to the next column. */
const MIN_COL = 64;
export const TOP = 30;

export interface Layout {
  W: number;
  H: number;
  colW: number;
  rMax: number;
  rowH: number;
  sq: number;
  headCols: number;
  headTop: number;
  headLabels: boolean;
}

export function layout(width: number, data: GraphData): Layout {
  const colW = Math.max(MIN_COL, (width || 900) / Math.max(1, data.layers));
  const { neurons, heads: headLists } = byLayer(data);
  const perLayer = Math.max(1, ...[...neurons.values()].map((v) => v.length));
  const heads = Math.max(0, ...[...headLists.values()].map((v) => v.length));
  const rMax = Math.min(12, colW * 0.16);
  const rowH = 2 * rMax + 16;
  // Heads: as many per row as fit at 12 px or more, at most 8; labels only when few and large enough.
  const headCols = Math.max(1, Math.min(heads, 8, Math.floor((colW - 8) / 12)));
  const sq = Math.min(16, (colW - 8) / headCols - 2);
  const headLabels = heads <= 4 && sq >= 14 && headCols === heads;
  const headRows = heads ? Math.ceil(heads / headCols) : 0;
  const headTop = TOP + perLayer * rowH + 10;
  const H = headTop + headRows * (sq + 3) + (headLabels ? 18 : 4) + 8;
  return { W: colW * data.layers, H, colW, rMax, rowH, sq, headCols, headTop, headLabels };
}

/** The graph's neurons and heads by layer, in the order given (plain loops: this runs on every draw). */
export function byLayer(data: GraphData): { neurons: Map<number, GraphNode[]>; heads: Map<number, GraphNode[]> } {
  const neurons = new Map<number, GraphNode[]>();
  const heads = new Map<number, GraphNode[]>();
  for (const n of data.nodes) {
    const m = n.kind === 'neuron' ? neurons : heads;
    const list = m.get(n.layer);
    if (list) list.push(n);
    else m.set(n.layer, [n]);
  }
  return { neurons, heads };
}

