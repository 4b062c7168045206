/**
 * Hugging Face models by name: a field for `owner/name[@rev]`, the curated list (architecture, parameters,
 * download size, whether it fits this device), the models kept offline with their sizes and a delete button each,
 * and the endpoint setting.
 */
import { useEffect, useState } from 'react';
import { DEFAULT_HF_ENDPOINT } from '../engine/hub';
import { CURATED_MODELS, curatedLargest, type CuratedModel } from '../engine/hub-models';
import { estimateFromParams, fitVerdict, fmtBytes, type DeviceLimits } from '../engine/memory-fit';
import { useStore } from '../store/store';
import { loadModel } from './controller';
import { deleteHubModel, openHubByName, refreshHubCache, saveEndpointSetting } from './hub-actions';

function fmtParams(n: number): string {
  return n >= 1e9 ? `${(n / 1e9).toFixed(1)}B` : `${Math.round(n / 1e6)}M`;
}

function Fits({ m, limits }: { m: CuratedModel; limits: DeviceLimits | null }) {
  if (!limits) return <span className="muted">…</span>;
  const v = fitVerdict(estimateFromParams(m.params, curatedLargest(m)), limits, m.repo);
  const mark = v.kind === 'fits' ? '✓ fits' : v.kind === 'tight' ? '⚠ tight' : '✗ too big';
  return (
    <span className={`fit fit-${v.kind}`} title={v.message} data-testid="hub-fit">
      {mark}
    </span>
  );
}

export function HubPanel() {
  const endpoint = useStore((s) => s.hubEndpoint);
  const cached = useStore((s) => s.hubCache);
  const limits = useStore((s) => s.deviceLimits);
  const status = useStore((s) => s.status);
  const [name, setName] = useState('');
  const [ep, setEp] = useState(endpoint);
  const [epError, setEpError] = useState<string | null>(null);
  useEffect(() => setEp(endpoint), [endpoint]);

  return (
    <details className="hub-panel" data-testid="hub-panel" onToggle={(e) => (e.currentTarget as HTMLDetailsElement).open && void refreshHubCache()}>
      <summary>Hugging Face…</summary>
      <div className="hub-body">
        <form
          onSubmit={(e) => {
            e.preventDefault();
            if (name.trim()) void openHubByName(name);
          }}
        >
          <input data-testid="hub-name" placeholder="owner/name[@revision]" value={name} onChange={(e) => setName(e.target.value)} size={32} list="hub-curated-names" />
          <datalist id="hub-curated-names">
            {CURATED_MODELS.map((m) => (
              <option key={m.repo} value={m.repo} />
            ))}
          </datalist>{' '}
          <button data-testid="hub-open" type="submit" disabled={status === 'loading'}>
            Open
          </button>
        </form>
        <table className="hub-curated" data-testid="hub-curated">
          <caption className="muted">Curated models (figures approximate; weights held as float32 on {limits?.backend ?? 'the backend'})</caption>
          <thead>
            <tr>
              <th>model</th>
              <th>architecture</th>
              <th>parameters</th>
              <th>download</th>
              <th>float32 / float16</th>
              <th>this device</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {CURATED_MODELS.map((m) => (
              <tr key={m.repo} title={m.note}>
                <td>
                  {m.repo}
                  <span className="muted">@{m.revision}</span>
                </td>
                <td>{m.modelType}</td>
                <td>≈{fmtParams(m.params)}</td>
                <td>
                  ≈{fmtBytes(m.download)} <span className="muted">{m.stored}</span>
                </td>
                <td>
                  ≈{fmtBytes(m.params * 4)} / {fmtBytes(m.params * 2)}
                </td>
                <td>
                  <Fits m={m} limits={limits} />
                </td>
                <td>
                  <button disabled={status === 'loading'} onClick={() => void loadModel({ kind: 'hub', name: m.repo, revision: m.revision })}>
                    open
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
        <div className="hub-cached" data-testid="hub-cached">
          <strong>Kept offline</strong> <span className="muted">(this browser's Cache Storage)</span>
          {cached === null ? (
            <p className="muted">…</p>
          ) : cached.length === 0 ? (
            <p className="muted" data-testid="hub-cached-empty">
              No hub models are kept yet.
            </p>
          ) : (
            <ul>
              {cached.map((c) => (
                <li key={`${c.endpoint} ${c.repo} ${c.revision}`} data-testid="hub-cached-item" data-repo={c.repo}>
                  {c.repo}@{c.revision} — {fmtBytes(c.bytes)}
                  {c.endpoint !== DEFAULT_HF_ENDPOINT && <span className="muted"> from {c.endpoint}</span>}
                  {!c.complete && <span className="muted"> (incomplete)</span>}{' '}
                  <button data-testid="hub-cached-delete" onClick={() => void deleteHubModel(c)}>
                    delete
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <form
          className="hub-endpoint"
          onSubmit={(e) => {
            e.preventDefault();
            try {
              saveEndpointSetting(ep);
              setEpError(null);
            } catch (err) {
              setEpError((err as Error).message);
            }
          }}
        >
          <label>
            Endpoint <input data-testid="hub-endpoint" value={ep} onChange={(e) => setEp(e.target.value)} size={28} placeholder={DEFAULT_HF_ENDPOINT} />
          </label>{' '}
          <button data-testid="hub-endpoint-save" type="submit">
            Use
          </button>
          {epError && <span className="error-inline"> {epError}</span>}
        </form>
      </div>
    </details>
  );
}
