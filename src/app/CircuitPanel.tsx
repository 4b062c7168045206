import { pathOverlay, type GraphOverlays } from '../analysis/graph-overlays';
import { toCircuitTracer } from '../analysis/circuit-tracer-format';
import { parseNodeId } from '../engine/nodeid';
import { useStore, useFields } from '../store/store';
import { PositionGraphView } from '../views/PositionGraphView';
import { buildCircuit } from './circuit-actions';
import { selectNode } from './controller';
import { downloadText } from './export';
import { provenanceOf, withProvenanceJson } from './provenance';

/**
 * The position-resolved attribution graph: positions as rows, layers as columns, edges the linearised direct
 * effects (docs/terminology.md "Attribution graph"), pruned by influence; the NeuronPath path overlaid when there
 * is one. Click a neuron or head to edit it; export in circuit-tracer's graph-file format.
 */
export function CircuitPanel() {
  const s = useFields('circuitNodeThreshold', 'circuitEdgeThreshold', 'circuitBuilding', 'circuitError', 'circuitGraph', 'clean', 'edits', 'model', 'path', 'selected', 'set');
  const nodeThreshold = s.circuitNodeThreshold;
  const edgeThreshold = s.circuitEdgeThreshold;
  const busy = s.circuitBuilding;
  const error = s.circuitError;
  const shown = s.circuitGraph;
  const overlays: GraphOverlays | undefined = shown && s.path ? { path: pathOverlay(shown, s.path) } : undefined;
  const edited = s.edits.filter((e) => e.enabled && e.index !== null && e.positions?.length === 1).map((e) => (e.hook.endsWith('mlp.hook_post') ? `L${e.hook.split('.')[1]}.N${e.index}@${e.positions![0]}` : `L${e.hook.split('.')[1]}.H${e.index}@${e.positions![0]}`));
  return (
    <div className="panel" data-testid="circuit-panel">
      <h2>Attribution graph</h2>
      <div className="controls">
        <label title="keep nodes up to this share of the total influence on the target">
          nodes <input type="number" data-testid="circuit-node-threshold" step={0.05} min={0.05} max={1} value={nodeThreshold} onChange={(e) => s.set({ circuitNodeThreshold: Math.max(0.05, Math.min(1, Number(e.target.value) || 0.8)) })} />
        </label>
        <label title="keep edges up to this share of the kept nodes' edge influence">
          edges <input type="number" data-testid="circuit-edge-threshold" step={0.01} min={0.05} max={1} value={edgeThreshold} onChange={(e) => s.set({ circuitEdgeThreshold: Math.max(0.05, Math.min(1, Number(e.target.value) || 0.98)) })} />
        </label>
        <button data-testid="run-circuit" onClick={() => void buildCircuit()} disabled={busy || !s.clean}>
          {busy ? 'building…' : 'Build'}
        </button>
        {shown && (
          <button
            data-testid="export-circuit-tracer"
            onClick={() => downloadText(`pathlight-graph-${Date.now()}.json`, withProvenanceJson(JSON.stringify(toCircuitTracer(shown, { slug: 'pathlight', scan: s.model?.name })), provenanceOf(useStore.getState())), 'application/json')}
            title="circuit-tracer's graph-file format (metadata, qParams, nodes, links)"
          >
            export (circuit-tracer JSON)
          </button>
        )}
      </div>
      {error && <div className="error inline">{error}</div>}
      {shown ? (
        <>
          <PositionGraphView
            graph={shown}
            overlays={overlays}
            selected={s.selected}
            edited={edited}
            onSelect={(id) => {
              const n = parseNodeId(id);
              void selectNode(id, n.kind, n.layer, n.index);
            }}
          />
          <p className="muted legend">
            Rows: token positions; columns: layers. Edges: the linearised direct effect of one node on another through the residual stream (norm scales,
            MLP slopes and head directions frozen), pruned by influence on the target. {shown.nodes.length} nodes, {shown.edges.length} edges.
            {overlays && ' Outlined: the NeuronPath path.'}
          </p>
        </>
      ) : (
        <p className="muted">Build the graph of the current prompt and target.</p>
      )}
    </div>
  );
}
