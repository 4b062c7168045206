import { useEffect, useState } from 'react';
import { layerPatternScores, type LayerPatternScores } from '../analysis/pattern-scores';
import { useStore, useFields } from '../store/store';
import type { HeatmapData } from '../views/heatmap';
import { HeatmapView } from '../views/HeatmapView';
import { visibleToken } from '../views/tokens';
import { getEngine, selectNode } from './controller';
import { useImage } from '../store/image';
import { VisionHeads } from './VisionCard';

const label = visibleToken;

/** Tabs: activations heatmap (tokens × the layer's most active neurons) and attention patterns per head. */
export function ActivationsPanel() {
  const s = useFields('tokens', 'model', 'tab', 'viewHead', 'viewLayer', 'set');
  const [data, setData] = useState<HeatmapData | null>(null);
  const [scores, setScores] = useState<LayerPatternScores | null>(null);
  const [topN, setTopN] = useState(24);
  const [neurons, setNeurons] = useState<number[]>([]);
  const ids = s.tokens?.ids;
  // A vision model's run reads its image (the tokens are [CLS] and the patches).
  const image = useImage((st) => (s.model?.config.vision ? st.image : null));
  const vision = !!s.model?.config.vision;
  const L = s.model?.config.nLayer ?? 0;
  const H = s.model?.config.nHead ?? 0;
  useEffect(() => {
    if (!ids || ids.length === 0 || !s.model || ids.length > s.model.config.nCtx || (vision && !image)) return;
    const input = image ? { pixelValues: { shape: [1, ...image.pixels.shape], data: image.pixels.data } } : { inputIds: [ids] };
    let live = true;
    const layer = Math.min(s.viewLayer, L - 1);
    const tokens = s.tokens!.tokens.map(label);
    if (s.tab === 'heatmap') {
      const hook = `blocks.${layer}.mlp.hook_post`;
      getEngine()
        .run('heatmap', { ...input, capture: [hook], logits: 'none' })
        .then((r) => {
          if (!live) return;
          const a = r.activations[hook];
          const [, T, N] = a.shape;
          const peak = new Float32Array(N);
          for (let t = 0; t < T; t++) for (let n = 0; n < N; n++) peak[n] = Math.max(peak[n], Math.abs(a.data[t * N + n]));
          const top = Array.from(peak.keys()).sort((x, y) => peak[y] - peak[x]).slice(0, topN);
          setNeurons(top);
          const values = new Float32Array(T * top.length);
          for (let t = 0; t < T; t++) top.forEach((n, j) => (values[t * top.length + j] = a.data[t * N + n]));
          setData({ rows: tokens, cols: top.map((n) => `N${n}`), values, diverging: true, title: `${hook}: tokens × the ${top.length} neurons with the largest |activation|` });
        })
        .catch(() => undefined);
    } else if (s.tab === 'attention') {
      const hook = `blocks.${layer}.attn.hook_pattern`;
      const head = Math.min(s.viewHead, H - 1);
      getEngine()
        .run('attention', { ...input, capture: [hook], logits: 'none' })
        .then((r) => {
          if (!live) return;
          const p = r.activations[hook];
          const T = ids.length;
          setScores(layerPatternScores(p.data, H, ids));
          setData({ rows: tokens, cols: tokens, values: p.data.slice(head * T * T, (head + 1) * T * T), diverging: false, title: `${hook}, head ${head}: query (rows) attends to key (columns)` });
        })
        .catch(() => undefined);
    }
    return () => {
      live = false;
    };
  }, [ids, image, s.tab, s.viewLayer, s.viewHead, s.model, topN]);
  if (s.tab === 'graph') return null;
  return (
    <div className="panel">
      <div className="controls">
        <label>
          layer{' '}
          <select value={s.viewLayer} onChange={(e) => s.set({ viewLayer: Number(e.target.value) })}>
            {Array.from({ length: L }, (_, l) => (
              <option key={l} value={l}>{l}</option>
            ))}
          </select>
        </label>
        {s.tab === 'attention' && (
          <label>
            head{' '}
            <select value={s.viewHead} onChange={(e) => s.set({ viewHead: Number(e.target.value) })}>
              {Array.from({ length: H }, (_, h) => (
                <option key={h} value={h}>{h}</option>
              ))}
            </select>
          </label>
        )}
        {s.tab === 'heatmap' && (
          <label title="neurons shown: the layer's largest |activation| on this prompt">
            neurons <input type="number" data-testid="heatmap-neurons" min={4} max={256} value={topN} onChange={(e) => setTopN(Math.max(4, Math.min(256, Number(e.target.value) || 24)))} />
          </label>
        )}
      </div>
      {s.tab === 'attention' && scores && scores.prevToken.length === H && (
        <table className="head-scores" data-testid="head-scores">
          <caption>Head types on this prompt (share of attention)</caption>
          <thead>
            <tr>
              <th>head</th>
              <th title="mean attention from each token to the one before it">previous token</th>
              <th title="mean attention from each token to itself">self</th>
              <th title="at tokens seen before: attention on the tokens that followed their earlier occurrences">induction{scores.recurring.length === 0 ? ' (no repeated token)' : ''}</th>
            </tr>
          </thead>
          <tbody>
            {scores.prevToken.map((_, h) => (
              <tr key={h} className={h === s.viewHead ? 'selected' : ''} onClick={() => s.set({ viewHead: h })}>
                <td>{h}</td>
                <td>{scores.prevToken[h].toFixed(2)}</td>
                <td>{scores.self[h].toFixed(2)}</td>
                <td>{scores.recurring.length ? scores.induction[h].toFixed(2) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {s.tab === 'attention' && vision && <VisionHeads layer={Math.min(s.viewLayer, L - 1)} head={Math.min(s.viewHead, H - 1)} />}
      {data && (
        <HeatmapView
          data={data}
          testId={s.tab === 'heatmap' ? 'activation-heatmap' : 'attention-pattern'}
          // A cell opens the card of that neuron at that token (activations), or of the head (attention).
          onCell={(row, col) => {
            const layer = Math.min(s.viewLayer, L - 1);
            if (s.tab === 'heatmap' && neurons[col] !== undefined) void selectNode(`L${layer}.N${neurons[col]}@${row}`, 'neuron', layer, neurons[col]);
            else if (s.tab === 'attention') void selectNode(`L${layer}.H${Math.min(s.viewHead, H - 1)}@${row}`, 'head', layer, Math.min(s.viewHead, H - 1));
          }}
        />
      )}
    </div>
  );
}
