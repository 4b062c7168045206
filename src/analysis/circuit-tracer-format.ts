/**
 * The attribution graph as a circuit-tracer graph file (`metadata`, `qParams`, `nodes`, `links`: the JSON that
 * circuit-tracer's `create_graph_files` writes and its viewer and Neuronpedia's graph pages open); the schema is
 * circuit-tracer-schema.ts. No tfjs.
 *
 * Node mapping. The file's `layer` is a read-depth index, interleaved the way graphs with attention features are
 * (Neuronpedia's lorsa convention): block L's heads are layer 2L, its neurons layer 2L + 1, so heads sit below the
 * neurons of their block, ids never collide, and the logit is layer 2·nLayer + 1 (circuit-tracer's
 * num_layers + 1 over the 2·nLayer interleaved layers).
 * - embedding at t → feature_type "embedding", node_id E_{token}_{t}, layer "E", feature t;
 * - neuron L.N n at t → "cross layer transcoder" (the closest type: a unit that one layer's MLP reads and writes,
 *   i.e. a transcoder feature whose encoder and decoder are the neuron's own weights), node_id {2L+1}_{n}_{t};
 * - head L.H h at t → "lorsa" (Neuronpedia's type for attention features, low-rank sparse attention; a head is one
 *   full-rank attention unit), node_id {2L}_{h}_{t};
 * - L.mlp_rest at t → "mlp reconstruction error" ({2L+1}_-1_{t}): what the layer's MLP writes there beyond its
 *   candidate neurons, the part circuit-tracer's error nodes carry; L.attn_rest → "lorsa error" ({2L}_-1_{t});
 * - the logit → "logit", node_id {2·nLayer+1}_{token}_{p}, is_target_logit, token_prob, clerp `Output "tok" (p=…)`.
 * `feature` of neurons and heads is circuit-tracer's Cantor pairing of (layer, index); `influence` is the
 * cumulative influence (the viewer's pruning slider keeps nodes with influence ≤ its value); `activation` the
 * node's activation; `clerp` names the Pathlight node (`L2.N417@11`). Links carry the edge weights.
 */
import type { AttributionGraph, AttributionGraphNode } from './attribution-graph-types';
import type { CircuitTracerGraph, CircuitTracerNode } from './circuit-tracer-schema';

export interface CircuitTracerExportOptions {
  /** The file's slug (default: model and a hash of the prompt). */
  slug?: string;
  /** The model id written as `scan` (default: the graph's model name). */
  scan?: string;
  /** Node ids (Pathlight form) to pin in the viewer, e.g. a NeuronPath path overlay. */
  pinned?: string[];
  /** The Pathlight node id the viewer opens with (default: the logit). */
  clicked?: string;
  /** Generator version recorded in metadata.info. */
  version?: string;
  /** Creation time recorded in metadata.info (ms since the epoch); default now. */
  createdMs?: number;
}

const cantor = (x: number, y: number) => ((x + y) * (x + y + 1)) / 2 + y;

function hash(s: string): string {
  let h = 2166136261;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 16777619) >>> 0;
  return h.toString(16).padStart(8, '0');
}

function slugOf(g: AttributionGraph): string {
  const model = g.model.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'model';
  return `pathlight-${model}-${hash(g.tokens.join(','))}`;
}

/** The circuit-tracer layer string of a Pathlight graph node. */
export function ctLayer(n: Pick<AttributionGraphNode, 'kind' | 'layer'>, nLayer: number): string {
  switch (n.kind) {
    case 'embedding':
      return 'E';
    case 'head':
    case 'attn_rest':
      return String(2 * n.layer);
    case 'neuron':
    case 'mlp_rest':
      return String(2 * n.layer + 1);
    case 'logit':
      return String(2 * nLayer + 1);
  }
}

/** The circuit-tracer node_id of a Pathlight graph node. */
export function ctNodeId(n: Pick<AttributionGraphNode, 'kind' | 'layer' | 'index' | 'position'>, nLayer: number): string {
  const layer = ctLayer(n, nLayer);
  if (n.kind === 'embedding') return `E_${n.index}_${n.position}`;
  if (n.kind === 'attn_rest' || n.kind === 'mlp_rest') return `${layer}_-1_${n.position}`;
  return `${layer}_${n.index}_${n.position}`;
}

const FEATURE_TYPE = {
  embedding: 'embedding',
  neuron: 'cross layer transcoder',
  head: 'lorsa',
  mlp_rest: 'mlp reconstruction error',
  attn_rest: 'lorsa error',
  logit: 'logit',
} as const;

const quoteToken = (s: string) => s.replace(/"/g, '\u201d');

export function toCircuitTracer(g: AttributionGraph, o: CircuitTracerExportOptions = {}): CircuitTracerGraph {
  const L = g.nLayer;
  const ctId = new Map(g.nodes.map((n) => [n.id, ctNodeId(n, L)]));
  const t = g.target;
  const nodes: CircuitTracerNode[] = g.nodes.map((n) => {
    const layer = ctLayer(n, L);
    const node_id = ctId.get(n.id)!;
    const base = { node_id, layer, ctx_idx: n.position, feature_type: FEATURE_TYPE[n.kind], run_idx: 0, reverse_ctx_idx: 0, influence: n.cumulative, activation: n.activation };
    switch (n.kind) {
      case 'embedding':
        return { ...base, feature: n.position, jsNodeId: `E_${n.index}-${n.position}`, clerp: '', token_prob: 0, is_target_logit: false, activation: null };
      case 'logit': {
        const name = t.kind === 'logit_diff' ? `${quoteToken(t.tokenString)}" − "${quoteToken(t.distractorString ?? '')}` : quoteToken(t.tokenString);
        const what = t.kind === 'logprob' ? 'log p' : t.kind === 'logit_diff' ? 'logit difference' : 'logit';
        return { ...base, feature: n.index, jsNodeId: `L_${n.index}-${n.position}`, clerp: `Output "${name}" (p=${t.prob.toFixed(3)}) ${what} ${t.value.toFixed(3)}`, token_prob: t.prob, is_target_logit: true };
      }
      case 'mlp_rest':
      case 'attn_rest':
        return { ...base, feature: -1, jsNodeId: `${layer}_-1-${n.position}`, clerp: '', token_prob: 0, is_target_logit: false, activation: null };
      default:
        return {
          ...base,
          feature: cantor(Number(layer), n.index),
          jsNodeId: `${layer}_${n.index}-0`,
          clerp: `${n.kind === 'neuron' ? 'MLP neuron' : 'attention head'} ${n.id}`,
          token_prob: 0,
          is_target_logit: false,
        };
    }
  });
  const links = g.edges.map((e) => ({ source: ctId.get(e.source)!, target: ctId.get(e.target)!, weight: e.weight }));
  const logit = g.nodes.find((n) => n.kind === 'logit');
  const clicked = o.clicked ?? logit?.id;
  return {
    metadata: {
      slug: o.slug ?? slugOf(g),
      scan: o.scan ?? g.model,
      transcoder_list: [],
      prompt_tokens: [...g.tokenStrings],
      prompt: g.prompt,
      node_threshold: g.settings.nodeThreshold,
      schema_version: 1,
      info: {
        description:
          'Pathlight attribution graph: nodes are token embeddings, MLP neurons ("cross layer transcoder", layer 2L+1), attention heads ("lorsa", layer 2L) and the rest of each layer ' +
          '("mlp reconstruction error", "lorsa error") at each position; links are the linearised direct effect through the residual stream (norm scales frozen; ' +
          `heads: value path with the pattern frozen${g.settings.attention === 'ov+qk' ? ', plus the first-order effect through queries and keys' : ''}) times the source activation.`,
        generator: { name: 'pathlight', ...(o.version ? { version: o.version } : {}) },
        create_time_ms: o.createdMs ?? Date.now(),
      },
      generation_settings: { max_feature_nodes: g.settings.maxNodes, candidates_per_layer: g.settings.candidatesPerLayer, head_candidates_per_layer: g.settings.headCandidatesPerLayer, attention: g.settings.attention, target: g.target },
      pruning_settings: { node_threshold: g.settings.nodeThreshold, edge_threshold: g.settings.edgeThreshold, max_edges: g.settings.maxEdges },
    },
    qParams: {
      pinnedIds: (o.pinned ?? []).filter((id) => ctId.has(id)).map((id) => ctId.get(id)!),
      supernodes: [],
      linkType: 'both',
      clickedId: clicked && ctId.has(clicked) ? ctId.get(clicked)! : '',
      sg_pos: '',
    },
    nodes,
    links,
  };
}
