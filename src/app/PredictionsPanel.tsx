import { useStore, type Distribution } from '../store/store';
import type { TokenProb } from '../worker/api';
import { formatDelta, formatProb, tokenStats } from './token-stats';

const show = (t: string) => JSON.stringify(t).slice(1, -1);

interface RowProps {
  id: number;
  token: string;
  clean: Distribution;
  edited: Distribution | null;
  role?: 'target' | 'distractor';
  onPick?: () => void;
}

/** One token: probability (adaptive precision), logit, log-prob and rank, clean and, with edits, edited with deltas. */
function Row({ id, token, clean, edited, role, onPick }: RowProps) {
  const c = tokenStats(clean, id);
  const e = edited ? tokenStats(edited, id) : null;
  return (
    <li
      data-token-id={id}
      data-prob={c.prob}
      data-edited-prob={e?.prob}
      className={role ?? ''}
      onClick={onPick}
      title={`${role ? `${role}; ` : ''}rank ${c.rank}, logit ${c.logit.toFixed(3)}, log-prob ${c.logprob.toFixed(3)}${e ? `; edited: rank ${e.rank}, logit ${e.logit.toFixed(3)}, log-prob ${e.logprob.toFixed(3)}` : ''}${onPick ? ' — click to make this the target' : ''}`}
    >
      <span className="rank">#{c.rank}</span>
      <span className="tok">{show(token)}</span>
      <span className="bar" style={{ width: `${Math.max(1, 64 * c.prob)}px` }} />
      <span className="p">{formatProb(c.prob)}</span>
      <span className="num" data-testid="logit">{c.logit.toFixed(2)}</span>
      <span className="num muted">{c.logprob.toFixed(2)}</span>
      {e && (
        <span className="delta">
          → {formatProb(e.prob)} <span className="muted">(#{e.rank}, Δlogit {formatDelta(e.logit - c.logit)})</span>
        </span>
      )}
    </li>
  );
}

export function PredictionsPanel() {
  const clean = useStore((s) => s.clean);
  const edited = useStore((s) => s.edited);
  const cleanDist = useStore((s) => s.cleanDist);
  const editedDist = useStore((s) => s.editedDist);
  const kl = useStore((s) => s.kl);
  const target = useStore((s) => s.target);
  const distractor = useStore((s) => s.distractor);
  // A vision model predicts the image's class (its labels from id2label) instead of the next token.
  const heading = useStore((s) => (s.model?.config.vision ? 'Class' : 'Next token'));
  if (!clean || !cleanDist) return <div className="panel"><h2>{heading}</h2><p className="muted">No predictions yet.</p></div>;
  const pick = (t: TokenProb) => () => useStore.getState().set({ target: { id: t.id, token: t.token } });
  const inTop = new Set(clean.map((t) => t.id));
  // The target and distractor are always shown, with their rank, even outside the top 10.
  const watched = [
    ...(target && !inTop.has(target.id) && target.id < cleanDist.probs.length ? [{ ...target, role: 'target' as const }] : []),
    ...(distractor && !inTop.has(distractor.id) && distractor.id < cleanDist.probs.length ? [{ ...distractor, role: 'distractor' as const }] : []),
  ];
  return (
    <div className="panel">
      <h2>
        {heading} <span className="muted">rank, probability, logit, log-prob{edited && `; clean → edited, KL ${kl?.toFixed(4)}`}</span>
      </h2>
      <ol className="predictions" data-testid="prediction-list">
        {clean.map((t) => (
          <Row key={t.id} id={t.id} token={t.token} clean={cleanDist} edited={editedDist} role={target?.id === t.id ? 'target' : distractor?.id === t.id ? 'distractor' : undefined} onPick={pick(t)} />
        ))}
      </ol>
      {watched.length > 0 && (
        <ol className="predictions watched" data-testid="prediction-watched">
          {watched.map((w) => (
            <Row key={w.id} id={w.id} token={w.token} clean={cleanDist} edited={editedDist} role={w.role} />
          ))}
        </ol>
      )}
      {edited && editedDist && (
        <>
          <h3>Edited top 10</h3>
          <ol className="predictions" data-testid="prediction-list-edited">
            {edited.map((t) => (
              <li key={t.id} data-token-id={t.id} data-prob={t.prob}>
                <span className="rank">#{tokenStats(editedDist, t.id).rank}</span>
                <span className="tok">{show(t.token)}</span>
                <span className="bar edited" style={{ width: `${Math.max(1, 64 * t.prob)}px` }} />
                <span className="p">{formatProb(t.prob)}</span>
                <span className="num">{t.logit.toFixed(2)}</span>
              </li>
            ))}
          </ol>
        </>
      )}
    </div>
  );
}
