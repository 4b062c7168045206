/**
 * Building the attribution graph of the current prompt and target (the Attribution graph tab), into the store so
 * it stays across tabs and a session link reopens it (the link keeps `view.circuit` and the thresholds; opening it
 * builds the graph again: same inputs, same graph).
 */
import { useStore } from '../store/store';
import { isSuperseded } from '../worker/client';
import { currentTarget, getEngine } from './controller';

/** The store keys a graph depends on: when one changes, the graph on screen no longer belongs to them. */
export const CIRCUIT_INPUTS = ['model', 'prompt', 'target', 'distractor', 'targetKind', 'circuitNodeThreshold', 'circuitEdgeThreshold'] as const;

export async function buildCircuit(): Promise<void> {
  const s = useStore.getState();
  const ids = s.tokens?.ids;
  const t = currentTarget();
  if (!ids || ids.length === 0 || !t) {
    useStore.getState().set({ circuitError: 'Type a prompt first: the graph explains the clicked (or top) predicted token.' });
    return;
  }
  // The graph pins its target (the top prediction when none was chosen), so the link records what was explained.
  if (!s.target && s.clean?.[0]) useStore.getState().set({ target: { id: s.clean[0].id, token: s.clean[0].token } });
  useStore.getState().set({ circuitBuilding: true, circuitError: null, circuitGraph: null });
  const forPrompt = s.prompt;
  try {
    const kind = t.distractor !== undefined ? 'logit_diff' : s.targetKind === 'logit_diff' ? 'logit' : s.targetKind;
    const graph = await getEngine().attributionGraph('circuit', { ids, target: { kind, token: t.token, distractor: t.distractor }, nodeThreshold: s.circuitNodeThreshold, edgeThreshold: s.circuitEdgeThreshold });
    // Typing during the build discards it: a graph is shown only for the prompt it was built from.
    useStore.getState().set(useStore.getState().prompt === forPrompt ? { circuitGraph: graph, circuitBuilding: false } : { circuitBuilding: false });
  } catch (e) {
    if (isSuperseded(e)) return;
    useStore.getState().set({ circuitBuilding: false, circuitError: (e as Error).message });
  }
}
