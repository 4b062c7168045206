/**
 * What the DLA and logit-lens views draw, as plain data (no DOM): DLA's top heads and neurons of each layer at one
 * position, and the lens grid (rows: each layer's resid_pre and resid_post, columns: positions).
 */
import type { DlaResult, LensResult } from '../analysis/dla';
import { formatNodeId } from '../engine/nodeid';

export interface DlaBar {
  /** NodeId text form at the position (L1.H3@5, L2.N417@5). */
  id: string;
  kind: 'neuron' | 'head';
  layer: number;
  index: number;
  value: number;
}

export interface DlaBars {
  position: number;
  /** Per layer, its top k heads and neurons together by |direct contribution|, largest first. */
  layers: DlaBar[][];
  /** The metric read at the position, and the parts: every head, every neuron, and the rest (embeddings, biases). */
  metric: number;
  heads: number;
  neurons: number;
  rest: number;
  maxAbs: number;
}

export function dlaBars(r: DlaResult, position: number, k: number, nLayer: number): DlaBars {
  const layers: DlaBar[][] = [];
  let heads = 0;
  let neurons = 0;
  for (let l = 0; l < nLayer; l++) {
    const all: DlaBar[] = [];
    for (const [kind, hook] of [['head', `blocks.${l}.attn.hook_z`], ['neuron', `blocks.${l}.mlp.hook_post`]] as const) {
      const s = r.scores[hook];
      if (!s) continue;
      const N = s.shape[1];
      for (let i = 0; i < N; i++) {
        const value = s.data[position * N + i];
        if (kind === 'head') heads += value;
        else neurons += value;
        all.push({ id: formatNodeId({ kind, layer: l, index: i, position }), kind, layer: l, index: i, value });
      }
    }
    layers.push(all.sort((a, b) => Math.abs(b.value) - Math.abs(a.value)).slice(0, Math.max(1, k)));
  }
  const rest = Object.values(r.terms).reduce((a, t) => a + t[position], 0);
  const maxAbs = Math.max(1e-9, ...layers.flat().map((b) => Math.abs(b.value)));
  return { position, layers, metric: r.values[position], heads, neurons, rest, maxAbs };
}

export interface LensGrid {
  /** Row labels: `L0 pre`, `L0 post`, … (forward order). */
  rows: string[];
  hooks: string[];
  /** Column labels: the prompt's tokens. */
  cols: string[];
  /** Row-major [rows, cols]: the metric read through the final norm and the unembedding. */
  values: Float32Array;
  /** Row-major: the top token read there. */
  top: string[];
  /** The model's own metric per position (equals the last row). */
  final: Float32Array;
}

export function lensGrid(r: LensResult & { topTokens: Record<string, string[]> }, tokens: string[]): LensGrid {
  const T = tokens.length;
  const values = new Float32Array(r.hooks.length * T);
  const top: string[] = [];
  r.hooks.forEach((h, i) => {
    values.set(r.values[h].subarray(0, T), i * T);
    top.push(...r.topTokens[h].slice(0, T));
  });
  const rows = r.hooks.map((h) => {
    const m = /^blocks\.(\d+)\.hook_resid_(pre|post)$/.exec(h);
    return m ? `L${m[1]} ${m[2]}` : h;
  });
  return { rows, hooks: r.hooks, cols: tokens, values, top, final: r.final };
}
