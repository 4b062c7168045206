/** `pathlight graph`: the position-resolved attribution graph as JSON (Pathlight's form or circuit-tracer's graph file). */
import { attributionGraph, DEFAULT_GRAPH_SETTINGS } from '../../analysis/attribution-graph';
import { toCircuitTracer } from '../../analysis/circuit-tracer-format';
import { fail } from '../../engine/errors';
import { allowFlags, flag, numberFlag, type Args } from '../args';
import { promptIds } from '../common';
import { withModel } from './attribute';
import { metricFlags } from './patch';

export const GRAPH_USAGE =
  'graph --model M (--text T | --ids 1,2,3) --target TOK|#ID [--distractor TOK|#ID] [--metric logit|logit_diff|logprob] [--node-threshold x] [--edge-threshold y] [--max-nodes n] [--max-edges n] [--candidates n] [--head-candidates n] [--attention ov|ov+qk] [--format pathlight|circuit-tracer] [--slug S]';

const DEFINITIONS =
  'nodes: embeddings (blocks.0.hook_resid_pre), heads (attn.hook_z; activation |z|), neurons (mlp.hook_post), each layer\'s rest (its non-candidate units), the metric at the last position; ' +
  'edge u → v = o_u · d f_v / d residual with every norm scale frozen: f_v is a neuron\'s activation with its nonlinearity frozen (ρ · pre, gated: half rule), ' +
  'a head\'s ẑ · z with the pattern frozen on the value path (attention ov+qk adds the first-order effect through queries and keys), the metric through the frozen final norm; ' +
  'pruned by circuit-tracer\'s cumulative influence (node then edge thresholds)';

export async function graphCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'ids', 'text', 'backend', 'target', 'distractor', 'metric', 'node-threshold', 'edge-threshold', 'max-nodes', 'max-edges', 'candidates', 'head-candidates', 'attention', 'format', 'slug']);
  const format = flag(args, 'format') ?? 'pathlight';
  if (format !== 'pathlight' && format !== 'circuit-tracer') fail(`--format: "${format}" is not pathlight or circuit-tracer`);
  const attention = flag(args, 'attention') ?? DEFAULT_GRAPH_SETTINGS.attention;
  if (attention !== 'ov' && attention !== 'ov+qk') fail(`--attention: "${attention}" is not ov or ov+qk`);
  if (flag(args, 'slug') !== undefined && format !== 'circuit-tracer') fail('--slug is only used with --format circuit-tracer');
  const D = DEFAULT_GRAPH_SETTINGS;
  let file: unknown = null;
  const out = await withModel(args, async (model) => {
    const ids = promptIds(args, model);
    const m = metricFlags(args, model);
    const g = await attributionGraph(model, {
      ids,
      target: { kind: m.metric, token: m.target, distractor: m.distractor },
      nodeThreshold: numberFlag(args, 'node-threshold', D.nodeThreshold, { min: 0, max: 1 }),
      edgeThreshold: numberFlag(args, 'edge-threshold', D.edgeThreshold, { min: 0, max: 1 }),
      maxNodes: numberFlag(args, 'max-nodes', D.maxNodes, { integer: true, min: 1, max: 100000 }),
      maxEdges: numberFlag(args, 'max-edges', D.maxEdges, { integer: true, min: 1, max: 1000000 }),
      candidatesPerLayer: numberFlag(args, 'candidates', D.candidatesPerLayer, { integer: true, min: 1, max: 100000 }),
      headCandidatesPerLayer: numberFlag(args, 'head-candidates', D.headCandidatesPerLayer, { integer: true, min: 1, max: 100000 }),
      attention,
    });
    if (format === 'circuit-tracer') file = toCircuitTracer(g, { slug: flag(args, 'slug') });
    return { ...g, definitions: DEFINITIONS };
  });
  // The circuit-tracer file is printed as it is (no extra keys: the viewers read it directly).
  return file ?? out;
}
