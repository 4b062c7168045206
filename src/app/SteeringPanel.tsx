import { useEffect, useMemo, useState } from 'react';
import type { ResidPoint } from '../analysis/steering';
import { sweepStrengths } from '../analysis/steering-strengths';
import { useStore } from '../store/store';
import type { SteeringSweepUi } from '../worker/api';
import { isSuperseded } from '../worker/client';
import { SteeringChartView } from '../views/SteeringChartView';
import { currentTarget } from './controller';
import { buildSteeringVector, parseSteeringPositions, promptLines, runSteeringSweep, steeringAddEdit, steeringLabel, type BuiltVector } from './steering-actions';

const show = (t: string) => t.replace(/\n/g, '⏎');
const message = (e: unknown) => (e instanceof Error ? e.message : String(e));

/**
 * Steering from two prompt sets: mean(residual | positive) − mean(residual | negative) at a layer, added with a
 * strength at chosen positions as an `add` edit; a sweep over strengths shows p(target) and the continuation.
 */
export function SteeringPanel() {
  const model = useStore((s) => s.model);
  const tokens = useStore((s) => s.tokens);
  const addEdit = useStore((s) => s.addEdit);
  const nLayer = model?.config.nLayer ?? 1;
  const [positive, setPositive] = useState('');
  const [negative, setNegative] = useState('');
  const [layer, setLayer] = useState(Math.floor(nLayer / 2));
  const [point, setPoint] = useState<ResidPoint>('hook_resid_pre');
  const [reduce, setReduce] = useState<'mean' | 'last'>('mean');
  const [positions, setPositions] = useState('all');
  const [alpha, setAlpha] = useState(4);
  const [range, setRange] = useState({ from: -8, to: 8, step: 2 });
  const [sweepTokens, setSweepTokens] = useState(12);
  const [vector, setVector] = useState<BuiltVector | null>(null);
  const [sweep, setSweep] = useState<SteeringSweepUi | null>(null);
  const [busy, setBusy] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  // A new model: the middle layer, and no vector or sweep from the previous model.
  useEffect(() => {
    setLayer(Math.floor((model?.config.nLayer ?? 1) / 2));
    setVector(null);
    setSweep(null);
  }, [model]);
  const nCtx = model?.config.nCtx ?? 1;
  const safeLayer = Math.min(layer, nLayer - 1);

  const where = (): number[] | null => parseSteeringPositions(positions, tokens?.ids.length ?? 0, nCtx);
  const attempt = async (what: string, f: () => Promise<void>) => {
    setError(null);
    setBusy(what);
    try {
      await f();
    } catch (e) {
      if (!isSuperseded(e)) setError(message(e));
    } finally {
      setBusy(null);
    }
  };
  const build = () =>
    attempt('building the vector…', async () => {
      const v = await buildSteeringVector(promptLines(positive), promptLines(negative), safeLayer, point, reduce);
      setVector(v);
      setSweep(null);
    });
  const apply = () => {
    setError(null);
    try {
      if (!vector) throw new Error('build a vector first');
      const pos = where();
      addEdit(steeringAddEdit(vector.layer, vector.point, vector.vector, alpha, pos), steeringLabel(vector.layer, vector.point, alpha, pos, vector.positivePrompts, vector.negativePrompts, vector.norm));
    } catch (e) {
      setError(message(e));
    }
  };
  const runSweep = () =>
    attempt('sweeping…', async () => {
      if (!vector) throw new Error('build a vector first');
      const t = currentTarget();
      if (!t) throw new Error('type a prompt first: the sweep follows the target (the clicked or top prediction)');
      const alphas = sweepStrengths(range.from, range.to, range.step);
      setSweep(await runSteeringSweep(vector, where(), alphas, t.token, sweepTokens, (done, total) => setBusy(`sweeping… ${done}/${total}`)));
    });
  const chart = useMemo(
    () => sweep && { points: sweep.rows.map((r) => ({ alpha: r.alpha, prob: r.prob })), baseline: sweep.rows.find((r) => r.alpha === 0)?.prob ?? null, chosen: alpha, targetLabel: JSON.stringify(sweep.targetToken) },
    [sweep, alpha],
  );
  if (!model) return null;
  return (
    <details className="panel steering" data-testid="steering-panel">
      <summary>
        <strong>Steering</strong> <span className="muted">contrastive vectors from two prompt sets</span>
      </summary>
      <div className="steer-sets">
        <label>
          towards (one prompt a line)
          <textarea data-testid="steer-positive" rows={3} value={positive} onChange={(e) => setPositive(e.target.value)} placeholder="Der Hund ist" />
        </label>
        <label>
          away from
          <textarea data-testid="steer-negative" rows={3} value={negative} onChange={(e) => setNegative(e.target.value)} placeholder="The dog is" />
        </label>
      </div>
      <div className="controls">
        <label>
          layer{' '}
          <select data-testid="steer-layer" value={safeLayer} onChange={(e) => setLayer(Number(e.target.value))}>
            {Array.from({ length: nLayer }, (_, l) => (
              <option key={l} value={l}>
                {l}
              </option>
            ))}
          </select>
        </label>
        <select data-testid="steer-point" value={point} onChange={(e) => setPoint(e.target.value as ResidPoint)} title="the residual stream before or after the block">
          <option value="hook_resid_pre">resid_pre</option>
          <option value="hook_resid_post">resid_post</option>
        </select>
        <select value={reduce} onChange={(e) => setReduce(e.target.value as 'mean' | 'last')} title="per prompt: the mean over its tokens, or its last token (CAA)">
          <option value="mean">mean over tokens</option>
          <option value="last">last token</option>
        </select>
        <button data-testid="steer-build" disabled={busy !== null} onClick={() => void build()}>
          Build vector
        </button>
      </div>
      {vector && (
        <p className="muted" data-testid="steer-vector">
          {vector.hook}: ‖v‖ = {vector.norm.toFixed(3)} (activations ‖x‖ ≈ {vector.meanNorm.toFixed(2)}) from {vector.positive} − {vector.negative} prompts
        </p>
      )}
      <div className="controls">
        <label>
          positions <input data-testid="steer-positions" value={positions} onChange={(e) => setPositions(e.target.value)} style={{ width: 70 }} title="all, last, or positions such as 0,3,5" />
        </label>
        <label>
          α <input data-testid="steer-alpha" type="number" step={0.5} value={alpha} onChange={(e) => setAlpha(Number(e.target.value))} style={{ width: 56 }} />
        </label>
        <button data-testid="steer-apply" disabled={!vector} onClick={apply} title="add α·v as an edit (undoable, kept in links and exports)">
          Add as edit
        </button>
      </div>
      <div className="controls">
        <span>sweep α</span>
        {(['from', 'to', 'step'] as const).map((k) => (
          <label key={k}>
            {k} <input data-testid={`steer-sweep-${k}`} type="number" value={range[k]} onChange={(e) => setRange({ ...range, [k]: Number(e.target.value) })} style={{ width: 48 }} />
          </label>
        ))}
        <label>
          tokens <input type="number" min={0} max={64} value={sweepTokens} onChange={(e) => setSweepTokens(Math.max(0, Math.min(64, Math.floor(Number(e.target.value) || 0))))} style={{ width: 44 }} />
        </label>
        <button data-testid="steer-sweep" disabled={!vector || busy !== null} onClick={() => void runSweep()}>
          Sweep
        </button>
      </div>
      {busy && <p className="muted">{busy}</p>}
      {error && (
        <p className="error inline" data-testid="steer-error">
          {error}
        </p>
      )}
      {sweep && chart && (
        <>
          <SteeringChartView data={chart} onPick={setAlpha} />
          <table className="sweep-rows" data-testid="steer-sweep-rows">
            <thead>
              <tr>
                <th>α</th>
                <th>p(target)</th>
                <th>rank</th>
                <th>top</th>
                <th>continuation</th>
              </tr>
            </thead>
            <tbody>
              {sweep.rows.map((r, i) => (
                <tr key={r.alpha} className={r.alpha === alpha ? 'selected' : ''} onClick={() => setAlpha(r.alpha)} data-alpha={r.alpha} data-prob={r.prob}>
                  <td>{r.alpha}</td>
                  <td>{r.prob.toPrecision(3)}</td>
                  <td>{r.rank}</td>
                  <td>
                    {JSON.stringify(sweep.topTokens[i])} <span className="muted">{r.top.prob.toFixed(2)}</span>
                  </td>
                  <td className="gen">{show(sweep.generatedTokens[i].join(''))}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      )}
    </details>
  );
}
