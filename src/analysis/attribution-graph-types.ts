/**
 * The position-resolved attribution graph as plain data (no tensors, no tfjs): what `attributionGraph`
 * (attribution-graph.ts) returns, what the CLI prints, what the views draw and what the exports read.
 * Definitions: docs/terminology.md, "Attribution graph".
 */
import { formatNodeId } from '../engine/nodeid';
import type { LogitTargetKind } from '../engine/types';

/**
 * - `embedding`: the first residual stream at a position (token embedding, plus the position embedding on models
 *   with learned positions): `blocks.0.hook_resid_pre` there;
 * - `head`: one attention head at one (query) position, `blocks.L.attn.hook_z`;
 * - `neuron`: one MLP neuron at one position, `blocks.L.mlp.hook_post`;
 * - `attn_rest` / `mlp_rest`: what the layer's heads (neurons) that are not candidates write at that position,
 *   together (the counterpart of circuit-tracer's error nodes: sources only);
 * - `logit`: the target metric at the last position.
 */
export type GraphNodeKind = 'embedding' | 'head' | 'neuron' | 'attn_rest' | 'mlp_rest' | 'logit';

export interface AttributionGraphNode {
  /**
   * Neurons and heads: the NodeId text form (`L2.N417@11`, `L0.H3@5`, src/engine/nodeid.ts); otherwise
   * `E@5`, `L1.attn_rest@5`, `L1.mlp_rest@5`, `logit@11`.
   */
  id: string;
  kind: GraphNodeKind;
  /** Block index; -1 for embeddings, nLayer for the logit. */
  layer: number;
  /** Neuron or head index; the token id for embeddings and the logit; -1 for rest nodes. */
  index: number;
  position: number;
  /** Neurons: mlp.hook_post; heads: |hook_z| (the norm of the d_head vector); the logit: the metric; else null. */
  activation: number | null;
  /** Gradient × activation of the target (total derivative; how candidates were ranked); 0 where not defined. */
  gxa: number;
  /** Total influence on the target: Σ over paths of products of row-normalised |edge weights| (circuit-tracer). */
  influence: number;
  /** circuit-tracer's cumulative influence: the share of all influence held by this node and every node above it. */
  cumulative: number;
}

export interface AttributionGraphEdge {
  source: string;
  target: string;
  /** The linearised direct effect of the source on the target's input, times the source's activation (grad × act). */
  weight: number;
  /** Edges into heads: the part of `weight` that passes through the head's queries and keys (0 with `attention: 'ov'`). */
  qk?: number;
  /** Edge influence: the row-normalised |weight| times the target's influence (plus 1 for the logit). */
  score: number;
}

export interface AttributionGraphTarget {
  kind: LogitTargetKind;
  token: number;
  distractor?: number;
  /** Always the last position of the prompt. */
  position: number;
  /** The metric on the prompt. */
  value: number;
  /** softmax probability of the target token at the position. */
  prob: number;
  /** How the target (and distractor) read: the tokenizer's spelling, or #ID. */
  tokenString: string;
  distractorString?: string;
}

export interface AttributionGraphSettings {
  nodeThreshold: number;
  edgeThreshold: number;
  maxNodes: number;
  maxEdges: number;
  candidatesPerLayer: number;
  headCandidatesPerLayer: number;
  attention: 'ov' | 'ov+qk';
}

export interface AttributionGraph {
  model: string;
  nLayer: number;
  tokens: number[];
  /** How each token reads (the tokenizer's spelling, or #ID without one). */
  tokenStrings: string[];
  /** The prompt as text (decoded), or the token strings joined. */
  prompt: string;
  target: AttributionGraphTarget;
  settings: AttributionGraphSettings;
  /** Kept nodes: every embedding, the logit, and the neurons, heads and rest nodes that survived pruning. */
  nodes: AttributionGraphNode[];
  edges: AttributionGraphEdge[];
  stats: {
    candidates: number;
    candidateEdges: number;
    keptNodes: number;
    keptEdges: number;
    /** Share of the candidates' total influence held by the kept nodes. */
    keptInfluence: number;
    ms: number;
  };
}

export const DEFAULT_GRAPH_SETTINGS: AttributionGraphSettings = {
  nodeThreshold: 0.8,
  edgeThreshold: 0.98,
  maxNodes: 200,
  maxEdges: 2000,
  candidatesPerLayer: 64,
  headCandidatesPerLayer: 128,
  attention: 'ov+qk',
};

/** Read order in the residual stream: embeddings 0, layer L's heads 2L + 1, its neurons 2L + 2, the logit 2·nLayer + 1. */
export function nodeDepth(kind: GraphNodeKind, layer: number, nLayer: number): number {
  switch (kind) {
    case 'embedding':
      return 0;
    case 'head':
    case 'attn_rest':
      return 2 * layer + 1;
    case 'neuron':
    case 'mlp_rest':
      return 2 * layer + 2;
    case 'logit':
      return 2 * nLayer + 1;
  }
}

export function graphNodeId(kind: GraphNodeKind, layer: number, index: number, position: number): string {
  switch (kind) {
    case 'neuron':
    case 'head':
      return formatNodeId({ kind, layer, index, position });
    case 'embedding':
      return `E@${position}`;
    case 'attn_rest':
    case 'mlp_rest':
      return `L${layer}.${kind}@${position}`;
    case 'logit':
      return `logit@${position}`;
  }
}

/** Whether a graph node is one the workbench can edit (a neuron or a head; its id is then a NodeId). */
export const isUnitNode = (n: Pick<AttributionGraphNode, 'kind'>) => n.kind === 'neuron' || n.kind === 'head';

/** The graph settings a share link carries (`g.nt`, `g.et`, `g.mn`, `g.me`, `g.cp`, `g.hc`, `g.at`), for reopening a graph. */
export function graphSettingsToParams(s: AttributionGraphSettings): Record<string, string> {
  return {
    'g.nt': String(s.nodeThreshold),
    'g.et': String(s.edgeThreshold),
    'g.mn': String(s.maxNodes),
    'g.me': String(s.maxEdges),
    'g.cp': String(s.candidatesPerLayer),
    'g.hc': String(s.headCandidatesPerLayer),
    'g.at': s.attention,
  };
}

/** The inverse of graphSettingsToParams; missing or invalid values fall back to the defaults. */
export function graphSettingsFromParams(get: (key: string) => string | null | undefined): AttributionGraphSettings {
  const num = (k: string, d: number, ok: (v: number) => boolean) => {
    const raw = get(k);
    const v = raw === null || raw === undefined ? NaN : Number(raw);
    return Number.isFinite(v) && ok(v) ? v : d;
  };
  const D = DEFAULT_GRAPH_SETTINGS;
  const frac = (v: number) => v >= 0 && v <= 1;
  const count = (v: number) => Number.isInteger(v) && v >= 1 && v <= 100000;
  const at = get('g.at');
  return {
    nodeThreshold: num('g.nt', D.nodeThreshold, frac),
    edgeThreshold: num('g.et', D.edgeThreshold, frac),
    maxNodes: num('g.mn', D.maxNodes, count),
    maxEdges: num('g.me', D.maxEdges, count),
    candidatesPerLayer: num('g.cp', D.candidatesPerLayer, count),
    headCandidatesPerLayer: num('g.hc', D.headCandidatesPerLayer, count),
    attention: at === 'ov' || at === 'ov+qk' ? at : D.attention,
  };
}
