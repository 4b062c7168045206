/**
 * A zod schema of circuit-tracer's graph file (the JSON `create_graph_files` writes and the attribution-graph
 * viewers read: circuit-tracer's local frontend and Neuronpedia's graph pages), written from
 * - circuit-tracer's pydantic models, circuit_tracer/frontend/graph_models.py (Metadata, QParams, Node, Link, Model;
 *   schema_version 1), and its node constructors (feature_node, error_node, token_node, logit_node);
 * - Neuronpedia's JSON schema of the same file (apps/webapp/app/api/graph/graph-schema.json), which adds the
 *   optional `metadata.info`, `generation_settings`, `pruning_settings` and `feature_details`.
 * Stricter than either where a viewer would break: unknown keys are refused, node ids are unique, every link joins
 * two nodes of the file, numbers are finite, `layer` is "E" (embeddings) or a decimal layer, and the node kinds
 * keep their id forms.
 */
import { z } from 'zod';

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

export const ctMetadataSchema = z.strictObject({
  slug: z.string().min(1),
  /** The model id (Neuronpedia reads it as one), or a transcoder set. */
  scan: z.string().min(1),
  transcoder_list: z.array(z.string()),
  prompt_tokens: z.array(z.string()),
  prompt: z.string(),
  node_threshold: finite.nullable().optional(),
  schema_version: z.number().int().nullable().optional(),
  feature_details: z
    .strictObject({ feature_json_base_url: z.string().optional(), neuronpedia_source_set: z.string().optional(), neuronpedia_lorsa_source_set: z.string().optional() })
    .optional(),
  info: z
    .strictObject({
      description: z.string().optional(),
      creator_name: z.string().optional(),
      creator_url: z.string().optional(),
      source_urls: z.array(z.string()).optional(),
      generator: z.strictObject({ name: z.string().optional(), version: z.string().optional(), url: z.string().optional(), email: z.string().optional() }).optional(),
      create_time_ms: finite.optional(),
    })
    .optional(),
  generation_settings: z.record(z.string(), z.unknown()).optional(),
  pruning_settings: z.record(z.string(), z.unknown()).optional(),
});

export const ctQParamsSchema = z.strictObject({
  pinnedIds: z.array(z.string()),
  supernodes: z.array(z.array(z.string())),
  linkType: z.string(),
  clickedId: z.string(),
  sg_pos: z.string(),
});

/** The feature types circuit-tracer writes, and Neuronpedia's attention ones (lorsa features and their error). */
export const CT_FEATURE_TYPES = ['cross layer transcoder', 'mlp reconstruction error', 'embedding', 'logit', 'lorsa', 'lorsa error'] as const;

export const ctNodeSchema = z
  .strictObject({
    node_id: z.string().min(1),
    feature: z.number().int(),
    layer: z.string().regex(/^(E|0|[1-9]\d*)$/, 'layer is "E" or a decimal layer number'),
    ctx_idx: z.number().int().min(0),
    feature_type: z.enum(CT_FEATURE_TYPES),
    token_prob: finite.default(0),
    is_target_logit: z.boolean().default(false),
    run_idx: z.number().int().default(0),
    reverse_ctx_idx: z.number().int().default(0),
    jsNodeId: z.string().min(1),
    clerp: z.string(),
    influence: finite.nullable().optional(),
    activation: finite.nullable().optional(),
  })
  .superRefine((n, ctx) => {
    const issue = (message: string) => ctx.addIssue({ code: 'custom', message: `${n.node_id}: ${message}` });
    const parts = n.node_id.split('_');
    if (n.feature_type === 'embedding') {
      if (n.layer !== 'E' || !/^E_\d+_\d+$/.test(n.node_id) || parts[2] !== String(n.ctx_idx)) issue('an embedding is E_{token}_{position} in layer "E"');
      if (n.jsNodeId !== `E_${parts[1]}-${n.ctx_idx}`) issue('an embedding\'s jsNodeId is E_{token}-{position}');
      return;
    }
    if (n.layer === 'E') issue('only embeddings are in layer "E"');
    if (parts.length !== 3 || parts[0] !== n.layer || parts[2] !== String(n.ctx_idx) || !/^-?\d+$/.test(parts[1])) issue('node_id is {layer}_{feature}_{position}');
    if (n.feature_type === 'logit') {
      if (!/(p=[0-9.e-]+\))/.test(n.clerp)) issue('a logit\'s clerp ends in (p=…), which the viewer reads');
      if (n.jsNodeId !== `L_${n.feature}-${n.ctx_idx}`) issue('a logit\'s jsNodeId is L_{token}-{position}');
    } else if (n.feature_type.endsWith('error')) {
      if (n.feature !== -1 || parts[1] !== '-1') issue('an error node has feature -1');
    } else if (n.feature < 0) issue('a feature index is not negative');
  });

export const ctLinkSchema = z.strictObject({ source: z.string(), target: z.string(), weight: finite });

export const circuitTracerGraphSchema = z
  .strictObject({ metadata: ctMetadataSchema, qParams: ctQParamsSchema, nodes: z.array(ctNodeSchema), links: z.array(ctLinkSchema) })
  .superRefine((g, ctx) => {
    const ids = new Set<string>();
    for (const n of g.nodes) {
      if (ids.has(n.node_id)) ctx.addIssue({ code: 'custom', message: `node_id ${n.node_id} appears twice` });
      ids.add(n.node_id);
    }
    g.links.forEach((l, i) => {
      for (const end of [l.source, l.target]) if (!ids.has(end)) ctx.addIssue({ code: 'custom', path: ['links', i], message: `link ${l.source} → ${l.target}: no node ${end}` });
    });
    const layers = g.nodes.filter((n) => n.feature_type !== 'logit' && n.layer !== 'E').map((n) => Number(n.layer));
    const top = Math.max(-1, ...layers);
    for (const n of g.nodes) if (n.feature_type === 'logit' && Number(n.layer) <= top) ctx.addIssue({ code: 'custom', message: `logit ${n.node_id} is not above every other layer (${top})` });
    for (const id of g.qParams.pinnedIds) if (!ids.has(id)) ctx.addIssue({ code: 'custom', message: `pinned id ${id} is not a node` });
    const tokens = g.metadata.prompt_tokens.length;
    for (const n of g.nodes) if (n.ctx_idx >= tokens) ctx.addIssue({ code: 'custom', message: `${n.node_id}: ctx_idx ${n.ctx_idx} is past the ${tokens} prompt tokens` });
  });

export type CircuitTracerGraph = z.input<typeof circuitTracerGraphSchema>;
export type CircuitTracerNode = z.input<typeof ctNodeSchema>;
