import { useStore } from '../store/store';

const pct = (p: number) => `${(100 * p).toFixed(1)}%`;
const show = (t: string) => JSON.stringify(t).slice(1, -1);

export function PredictionsPanel() {
  const clean = useStore((s) => s.clean);
  const edited = useStore((s) => s.edited);
  const kl = useStore((s) => s.kl);
  const target = useStore((s) => s.target);
  if (!clean) return <div className="panel"><h2>Next token</h2><p className="muted">No predictions yet.</p></div>;
  const editedById = new Map((edited ?? []).map((t) => [t.id, t]));
  return (
    <div className="panel">
      <h2>Next token {edited && <span className="muted">clean → edited, KL {kl?.toFixed(4)}</span>}</h2>
      <ol className="predictions" data-testid="prediction-list">
        {clean.map((t) => {
          const e = editedById.get(t.id);
          return (
            <li
              key={t.id}
              data-token-id={t.id}
              className={target?.id === t.id ? 'target' : ''}
              onClick={() => useStore.getState().set({ target: { id: t.id, token: t.token } })}
              title="click to make this the target"
            >
              <span className="tok">{show(t.token)}</span>
              <span className="bar" style={{ width: `${Math.max(1, 100 * t.prob)}px` }} />
              <span className="p">{pct(t.prob)}</span>
              {edited && <span className="delta">{e ? `→ ${pct(e.prob)}` : '→ (out of top 10)'}</span>}
            </li>
          );
        })}
      </ol>
      {edited && (
        <>
          <h3>Edited top 10</h3>
          <ol className="predictions" data-testid="prediction-list-edited">
            {edited.map((t) => (
              <li key={t.id} data-token-id={t.id}>
                <span className="tok">{show(t.token)}</span>
                <span className="bar edited" style={{ width: `${Math.max(1, 100 * t.prob)}px` }} />
                <span className="p">{pct(t.prob)}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
