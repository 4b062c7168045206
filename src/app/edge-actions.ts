/**
 * Edges for the attribution methods' graph: after an attribution (act, grad, gxa, ig, ablate) is shown, the worker
 * computes gradient × activation edges between the top EDGE_NEURONS_PER_LAYER neurons of consecutive layers at
 * the target position — the weight the path search gives its own edges (src/analysis/layer-edges.ts). Patching
 * methods get none (their scores swap in corrupted activations; a pairwise linear edge is not what they measure).
 */
import type { AttributionResult } from '../analysis/attribution';
import { isPatching } from '../analysis/methods';
import { useStore } from '../store/store';
import { isSuperseded } from '../worker/client';
import { topNeuronsPerLayer } from '../views/graph-data';
import { getEngine } from './controller';

export const EDGE_NEURONS_PER_LAYER = 5;

/** Why the graph of a method draws no edges (null when it draws them). */
export function noEdgesReason(method: string): string | null {
  if (isPatching(method as never)) return 'Patching draws no edges: it scores each unit by swapping in its corrupted activation, one unit at a time; the Attribution graph tab has edges between units.';
  return null;
}

export async function loadAttributionEdges(r: AttributionResult, ids: number[]): Promise<void> {
  const model = useStore.getState().model;
  if (!model || noEdgesReason(r.method) !== null) return;
  const neurons = topNeuronsPerLayer(r, model.config.nLayer, EDGE_NEURONS_PER_LAYER);
  if (neurons.filter((n) => n.length > 0).length < 2) return;
  try {
    const edges = await getEngine().layerEdges('edges', { ids, neurons, position: r.target.position });
    if (useStore.getState().attribution === r) useStore.getState().set({ attributionEdges: { for: r, edges } });
  } catch (e) {
    if (!isSuperseded(e)) useStore.getState().notify(`The graph's edges could not be computed: ${e instanceof Error ? e.message : String(e)}`);
  }
}
