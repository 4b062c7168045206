/**
 * Edges between the top neurons of consecutive layers, for the attribution methods' path graph: the same
 * linearised weight the path search gives its own edges — gradient × activation of a downstream neuron with respect
 * to an upstream one, act_l[p, i] · ∂ act_{l+1}[p, j] / ∂ act_l[p, i] (the total derivative through the residual
 * stream and everything between, at the target position p). One gradient run per layer pair, one sequence per
 * downstream neuron.
 */
import { fail } from '../engine/errors';
import { formatNodeId } from '../engine/nodeid';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit, HookName, Target } from '../engine/types';
import type { Means } from './generate';
import { betweenSteps, type AnalysisOptions } from './options';
import type { PathEdge } from './path';

export interface LayerEdgesRequest {
  ids: number[];
  /** Per layer, the neurons (of blocks.L.mlp.hook_post) between which edges are computed. */
  neurons: number[][];
  /** The position the nodes are at (the target position). */
  position: number;
  edits?: Edit[];
  means?: Means;
}

const mlp = (l: number): HookName => `blocks.${l}.mlp.hook_post`;

/** Every edge i → j between the listed neurons of layers l and l + 1, with its gradient × activation weight. */
export async function layerEdges(model: Model, req: LayerEdgesRequest, opts: AnalysisOptions = {}): Promise<PathEdge[]> {
  const cfg = model.config;
  const T = req.ids.length;
  const p = req.position;
  if (T === 0) fail('edges need a prompt of at least one token');
  if (!Number.isInteger(p) || p < 0 || p >= T) fail(`edge position ${p} is outside the prompt (0..${T - 1})`);
  if (req.neurons.length > cfg.nLayer) fail(`edges were asked for ${req.neurons.length} layers; the model has ${cfg.nLayer}`);
  for (const [l, ns] of req.neurons.entries()) for (const i of ns) if (!Number.isInteger(i) || i < 0 || i >= cfg.dMlp) fail(`neuron ${i} of layer ${l} is out of range (0..${cfg.dMlp - 1})`);
  const N = cfg.dMlp;
  const id = (l: number, i: number) => formatNodeId({ kind: 'neuron', layer: l, index: i, position: p });
  const out: PathEdge[] = [];
  for (let l = 0; l + 1 < req.neurons.length; l++) {
    const up = req.neurons[l];
    const down = req.neurons[l + 1];
    if (up.length === 0 || down.length === 0) continue;
    await betweenSteps(opts);
    const targets: Target[] = down.map((j) => ({ kind: 'activation', hook: mlp(l + 1), index: j, position: p, token: 0 }));
    const r = await runModel(model, { inputIds: down.map(() => req.ids), edits: req.edits, means: req.means, capture: [mlp(l)], target: targets, logits: 'none' });
    const act = r.activations[mlp(l)].data;
    const grad = r.grads[mlp(l)].data;
    down.forEach((j, b) => {
      for (const i of up) {
        const k = (b * T + p) * N + i;
        out.push({ from: id(l, i), to: id(l + 1, j), weight: act[k] * grad[k] });
      }
    });
    opts.onProgress?.(l + 1, req.neurons.length - 1);
  }
  return out;
}
