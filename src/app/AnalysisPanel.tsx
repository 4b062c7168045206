import { useMemo, useState } from 'react';
import { parseNodeId } from '../engine/nodeid';
import { isPatching } from '../analysis/methods';
import { useStore, type AnalysisMethod, useFields } from '../store/store';
import { graphFromAttribution, graphFromPath, markEdited, MAX_NEURONS_PER_LAYER, PER_LAYER_LIMIT } from '../views/graph-data';
import { PathGraphView } from '../views/PathGraphView';
import { PathSummary } from './PathSummary';
import { clickNode } from './selection-actions';
import { EDGE_NEURONS_PER_LAYER, noEdgesReason } from './edge-actions';
import { FaithfulnessMeter } from './FaithfulnessMeter';
import { cancelAnalysis, currentTarget, runAnalysis } from './controller';

const METHOD_LABELS: Record<AnalysisMethod, string> = {
  path: 'Neuron path (joint integrated gradients)',
  gxa: 'Gradient × activation',
  ig: 'Integrated gradients (per layer)',
  act: 'Activation',
  grad: 'Gradient',
  ablate: 'Ablation effect (exact)',
  patch_exact: 'Activation patching (exact, corrupted → clean)',
  patch_atp: 'Attribution patching (AtP)',
  patch_relp: 'Relevance patching (RelP)',
};

/** The run's progress and its Cancel: its own component, so a progress tick re-renders only this. */
function AnalysisProgress() {
  const progress = useStore((s) => s.progress);
  return (
    <>
      <progress data-testid="analysis-progress" value={progress?.done ?? 0} max={progress?.total || 1} />
      <button onClick={() => void cancelAnalysis()}>Cancel</button>
    </>
  );
}

export function AnalysisPanel() {
  const s = useFields('analysisError', 'attribution', 'attributionEdges', 'beam', 'clean', 'corrupted', 'distractor', 'edits', 'heads', 'layer', 'method', 'model', 'path', 'positions', 'running', 'selected', 'selection', 'set', 'steps', 'target', 'targetKind', 'zoom');
  const target = currentTarget();
  const targetToken = s.target?.token ?? s.clean?.[0]?.token;
  const [perLayer, setPerLayer] = useState(MAX_NEURONS_PER_LAYER);
  const graph = useMemo(() => {
    if (!s.model) return null;
    const g = s.path ? graphFromPath(s.path, s.heads, s.model.config.nLayer, perLayer) : s.attribution ? graphFromAttribution(s.attribution, s.model.config.nLayer, perLayer, s.attributionEdges?.for === s.attribution ? s.attributionEdges.edges : []) : null;
    return g && markEdited(g, s.edits.filter((e) => e.enabled));
  }, [s.path, s.attribution, s.attributionEdges, s.heads, s.model, perLayer, s.edits]);
  return (
    <div className="panel">
      <h2>Find the path</h2>
      <div className="controls">
        <label>
          Method{' '}
          <select data-testid="method" value={s.method} onChange={(e) => s.set({ method: e.target.value as AnalysisMethod })}>
            {Object.entries(METHOD_LABELS).map(([k, v]) => (
              <option key={k} value={k}>
                {v}
              </option>
            ))}
          </select>
        </label>
        {(s.method === 'path' || s.method === 'ig') && (
          <label>
            steps <input type="number" min={1} max={256} value={s.steps} onChange={(e) => s.set({ steps: Math.max(1, Math.min(256, Number(e.target.value) || 20)) })} />
          </label>
        )}
        {s.method === 'path' && (
          <label>
            beam <input type="number" min={1} max={16} value={s.beam} onChange={(e) => s.set({ beam: Math.max(1, Math.min(16, Number(e.target.value) || 1)) })} />
          </label>
        )}
        <span className="muted" data-testid="target">
          target: {target ? JSON.stringify(targetToken ?? `#${target.token}`) : '—'}
          {s.distractor ? ` vs ${JSON.stringify(s.distractor.token)}` : ''}
        </span>
        {isPatching(s.method) && (
          <label title="the corrupted prompt of the pair: same number of tokens; each unit is patched from the clean run into this one">
            corrupted{' '}
            <input data-testid="corrupted-input" value={s.corrupted} onChange={(e) => s.set({ corrupted: e.target.value })} placeholder="same length, one thing changed" size={28} />
          </label>
        )}
        <label title="what the attribution explains: the target's logit, the logit difference against the distractor, or its log-probability">
          metric{' '}
          <select data-testid="target-kind" value={s.targetKind} onChange={(e) => s.set({ targetKind: e.target.value as typeof s.targetKind })}>
            <option value="logit">logit</option>
            <option value="logit_diff">logit difference</option>
            <option value="logprob">log-prob</option>
          </select>
        </label>
        <label title="where nodes are attributed (and path neurons scaled): the target's position or every position">
          at{' '}
          <select data-testid="positions" value={String(s.positions)} onChange={(e) => s.set({ positions: e.target.value === 'all' ? 'all' : e.target.value === 'target' ? 'target' : Number(e.target.value) })}>
            <option value="target">{s.model?.config.vision ? '[CLS] only' : 'the target position'}</option>
            <option value="all">{s.model?.config.vision ? 'every token' : 'every position'}</option>
            {typeof s.positions === 'number' && <option value={s.positions}>position {s.positions}</option>}
          </select>
        </label>
        {s.method !== 'path' && s.model && (
          <label title="attribute one layer only, or every layer">
            layers{' '}
            <select data-testid="layer" value={s.layer ?? ''} onChange={(e) => s.set({ layer: e.target.value === '' ? null : Number(e.target.value) })}>
              <option value="">all</option>
              {Array.from({ length: s.model.config.nLayer }, (_, l) => (
                <option key={l} value={l}>
                  {l}
                </option>
              ))}
            </select>
          </label>
        )}
        <label title="neurons drawn per layer (the rest are pruned by |score|)">
          per layer <input type="number" data-testid="per-layer" min={1} max={PER_LAYER_LIMIT} value={perLayer} onChange={(e) => setPerLayer(Math.max(1, Math.min(PER_LAYER_LIMIT, Number(e.target.value) || MAX_NEURONS_PER_LAYER)))} />
        </label>
        <button data-testid="run-path" onClick={() => void runAnalysis()} disabled={!s.clean || s.running} title="Run (Ctrl+Enter)">
          Run
        </button>
        {s.running && <AnalysisProgress />}
      </div>
      {s.analysisError && <div className="error inline">{s.analysisError}</div>}
      {graph ? (
        <>
          <PathGraphView data={graph} selected={s.selection.length ? s.selection : s.selected} zoom={s.zoom} onZoom={(zoom) => s.set({ zoom })} onSelect={(n, additive) => clickNode(n.id, additive)} />
          <p className="muted legend">
            Circles: MLP neurons at the target position (blue promotes the target, red suppresses; size by |attribution|); squares: attention heads (grad × act; hover for the head); dashed violet ring: an active edit.
            {s.path && ' Dark outline: the path; faint: runners-up. Scroll to zoom, drag to pan. Click a node to inspect and edit it.'}
            {s.path && ' Lines: grad × act of each path neuron with respect to the one before.'}
          </p>
          {s.attribution && (
            <p className="muted legend" data-testid="edges-note">
              {noEdgesReason(s.attribution.method) ??
                (s.attributionEdges?.for === s.attribution
                  ? `Lines: grad × act of each of the top ${EDGE_NEURONS_PER_LAYER} neurons of a layer with respect to the top ${EDGE_NEURONS_PER_LAYER} of the layer before, at the target position (the path's edge weight; blue positive, red negative); heads have none here.`
                  : 'computing the edges…')}
            </p>
          )}
          {s.path && <PathSummary path={s.path} />}
          {s.attribution && <FaithfulnessMeter graph={graph} />}
          {isPatching(s.method) && s.attribution && 'patch' in s.attribution && (
            <p className="path-summary" data-testid="patch-summary">
              {(() => {
                const p = (s.attribution as unknown as { patch: { cleanMetric: number; corruptedMetric: number; method: string } }).patch;
                return `${p.method}: clean metric ${p.cleanMetric.toFixed(3)}, corrupted ${p.corruptedMetric.toFixed(3)}; a unit's score is the corrupted run with that unit set to its clean value, minus the corrupted metric${p.method === 'exact' ? '' : ' (approximated by one backward pass)'}.`;
              })()}
            </p>
          )}
        </>
      ) : (
        <div className="graph-container empty" data-testid="path-graph">
          <p className="muted">Run a method to see which neurons and heads carry the prediction.</p>
        </div>
      )}
      {s.selected && (() => {
        try {
          parseNodeId(s.selected);
          return null;
        } catch {
          return null;
        }
      })()}
    </div>
  );
}
