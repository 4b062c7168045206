/**
 * The DLA and logit-lens tabs: each head's and neuron's direct contribution to the metric (top k per layer at one
 * position, a click opens the node's card to inspect and edit it), and the metric and top token read from every
 * layer's residual stream at every position (src/analysis/dla.ts, the functions `pathlight dla` and `pathlight
 * lens` print). Both follow the prompt, the target and the metric.
 */
import { useEffect, useRef, useState } from 'react';
import type { DlaResult } from '../analysis/dla';
import { useStore, type State, useFields } from '../store/store';
import { drawDla, drawLens } from '../views/logit-draw';
import { dlaBars, lensGrid, type DlaBars, type LensGrid } from '../views/logit-views';
import { visibleToken } from '../views/tokens';
import { isSuperseded, type Engine } from '../worker/client';
import type { LensUi } from '../worker/api';
import { currentTarget, getEngine, selectNode } from './controller';

/** The metric as the analyses use it: a distractor makes it a logit difference; DLA cannot take a log-probability. */
function metricOf(s: State, dla: boolean): { target: number; distractor?: number; metric: 'logit' | 'logit_diff' | 'logprob'; note?: string } | null {
  const t = currentTarget();
  if (!t) return null;
  if (t.distractor !== undefined && s.targetKind !== 'logprob') return { target: t.token, distractor: t.distractor, metric: 'logit_diff' };
  if (s.targetKind === 'logprob' && dla) return { target: t.token, metric: 'logit', note: 'DLA is linear in the residual stream only for logits: shown for the logit (the log-probability is not a sum of parts).' };
  return { target: t.token, metric: s.targetKind === 'logit_diff' ? 'logit' : s.targetKind };
}

/** Runs `fetch` whenever the prompt, its predictions, the target or the metric change; the newer request supersedes. */
function useLogitRun<R>(fetch: (eng: Engine, ids: number[], m: NonNullable<ReturnType<typeof metricOf>>) => Promise<R>, dla: boolean) {
  const s = useFields('tokens', 'model', 'clean', 'target', 'distractor', 'targetKind', 'selected');
  const [state, setState] = useState<{ r: R; note?: string; tokens: string[] } | { error: string } | null>(null);
  const ids = s.tokens?.ids;
  useEffect(() => {
    if (!ids || ids.length === 0 || !s.model || ids.length > s.model.config.nCtx || !s.clean) return;
    const m = metricOf(useStore.getState(), dla);
    if (!m) return;
    let live = true;
    const tokens = s.tokens!.tokens;
    fetch(getEngine(), ids, m).then(
      (r) => live && setState({ r, note: m.note, tokens }),
      (e) => live && !isSuperseded(e) && setState({ error: (e as Error).message }),
    );
    return () => {
      live = false;
    };
    // The fetch function is rebuilt every render; what it reads is listed here.
  }, [ids, s.clean, s.target, s.distractor, s.targetKind, s.model]);
  return state;
}

export function DlaPanel() {
  const nLayer = useStore((s) => s.model?.config.nLayer ?? 0);
  const selected = useStore((s) => s.selected);
  const [k, setK] = useState(5);
  const [position, setPosition] = useState<number | null>(null);
  const state = useLogitRun<DlaResult>((eng, ids, m) => eng.dla('dla', { ids, target: m.target, distractor: m.distractor, metric: m.metric }), true);
  const ref = useRef<HTMLDivElement>(null);
  const ok = state && 'r' in state ? state : null;
  const T = ok?.r.values.length ?? 0;
  const p = position !== null && position < T ? position : T - 1;
  const bars: DlaBars | null = ok && T > 0 ? dlaBars(ok.r, p, k, nLayer) : null;
  useEffect(() => {
    if (ref.current && bars)
      drawDla(
        ref.current,
        bars,
        (b) => void selectNode(b.id, b.kind, b.layer, b.index),
        selected,
      );
  });
  return (
    <div className="panel" data-testid="dla-panel">
      <h2>Direct logit attribution</h2>
      <div className="controls">
        <label title="the position whose metric is decomposed (its next token)">
          at{' '}
          <select data-testid="dla-position" value={p} onChange={(e) => setPosition(Number(e.target.value))}>
            {(ok?.tokens ?? []).map((t, i) => (
              <option key={i} value={i}>
                {i}: {visibleToken(t)}
              </option>
            ))}
          </select>
        </label>
        <label title="heads and neurons shown per layer, largest |direct contribution| first">
          top <input type="number" data-testid="dla-k" min={1} max={32} value={k} onChange={(e) => setK(Math.max(1, Math.min(32, Number(e.target.value) || 5)))} /> per layer
        </label>
      </div>
      {state && 'error' in state && <div className="error inline">{state.error}</div>}
      {ok?.note && <p className="muted">{ok.note}</p>}
      {bars && (
        <p className="path-summary" data-testid="dla-summary" data-metric={bars.metric} data-sum={bars.heads + bars.neurons + bars.rest}>
          {ok!.r.metric} at {p}: {bars.metric.toFixed(3)} = heads {bars.heads.toFixed(3)} + neurons {bars.neurons.toFixed(3)} + embeddings, biases and the final norm's bias {bars.rest.toFixed(3)}
        </p>
      )}
      <div ref={ref} className="graph-container" data-testid="dla-chart" />
      <p className="muted legend">
        Each bar: a head's (z · W_O) or neuron's (post · W_out) direct contribution to the metric through the final norm with its scale frozen at
        this run's — not the effect of removing it. Blue raises the metric, red lowers it. Click a bar to open the node's card and edit it.
      </p>
    </div>
  );
}

export function LensPanel() {
  const [show, setShow] = useState<'top' | 'value'>('top');
  const state = useLogitRun<LensUi>((eng, ids, m) => eng.lens('lens', { ids, target: m.target, distractor: m.distractor, metric: m.metric }), false);
  const ref = useRef<HTMLDivElement>(null);
  const ok = state && 'r' in state ? state : null;
  const grid: LensGrid | null = ok ? lensGrid(ok.r, ok.tokens) : null;
  useEffect(() => {
    if (ref.current && grid) drawLens(ref.current, grid, { logprob: ok!.r.metric === 'logprob', show });
  });
  return (
    <div className="panel" data-testid="lens-panel">
      <h2>Logit lens</h2>
      <div className="controls">
        <label title="what each cell shows; its colour is always the metric">
          cells show{' '}
          <select data-testid="lens-show" value={show} onChange={(e) => setShow(e.target.value as 'top' | 'value')}>
            <option value="top">the top token</option>
            <option value="value">the metric</option>
          </select>
        </label>
        {ok && <span className="muted">metric: {ok.r.metric}{ok.r.metric === 'logprob' ? ' (colour: its probability)' : ''}</span>}
      </div>
      {state && 'error' in state && <div className="error inline">{state.error}</div>}
      <div ref={ref} className="heatmap-container" data-testid="lens-grid" />
      <p className="muted legend">
        Rows: each layer's residual stream before (pre) and after (post) the block; columns: the prompt's tokens. Each is put through the final norm
        and the unembedding, as if the model stopped there; the last row is the model's own output.
      </p>
    </div>
  );
}

