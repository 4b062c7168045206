import { useEffect } from 'react';
import { useStore } from '../store/store';
import { refreshGeneration } from './controller';

const show = (t: string) => t.replace(/\n/g, '⏎');

export function GenerationPanel() {
  const g = useStore((s) => s.generation);
  const s = useStore();
  const edits = useStore((st) => st.edits);
  const tokens = useStore((st) => st.tokens);
  useEffect(() => {
    const t = setTimeout(() => void refreshGeneration(), 250);
    return () => clearTimeout(t);
  }, [tokens, edits, s.maxTokens, s.temperature, s.topK, s.seed]);
  const d = g?.firstDivergence ?? null;
  const line = (toks: string[], which: string) => (
    <div className="gen" data-testid={`generation-${which}`}>
      <span className="muted">{which}:</span>{' '}
      {toks.map((t, i) => (
        <span key={i} className={d !== null && i === d ? 'diverge' : d !== null && i > d ? 'after' : ''} title={d !== null && i === d ? 'first token where clean and edited differ' : undefined}>
          {show(t)}
        </span>
      ))}
    </div>
  );
  return (
    <div className="panel">
      <h2>Continuation</h2>
      <div className="controls">
        <label>
          tokens <input type="number" min={1} max={256} value={s.maxTokens} onChange={(e) => s.set({ maxTokens: Math.max(1, Math.min(256, Number(e.target.value) || 40)) })} style={{ width: 56 }} />
        </label>
        <label>
          temperature <input type="number" min={0} max={5} step={0.1} value={s.temperature} onChange={(e) => s.set({ temperature: Math.max(0, Number(e.target.value) || 0) })} style={{ width: 56 }} />
        </label>
        <label>
          top-k <input type="number" min={0} value={s.topK} onChange={(e) => s.set({ topK: Math.max(0, Math.floor(Number(e.target.value) || 0)) })} style={{ width: 56 }} />
        </label>
        <label>
          seed <input type="number" value={s.seed} onChange={(e) => s.set({ seed: Math.floor(Number(e.target.value) || 0) })} style={{ width: 56 }} />
        </label>
        <span className="muted">{s.temperature > 0 ? 'sampled (same seed for both)' : 'greedy'}</span>
      </div>
      {g ? (
        <>
          {line(g.cleanTokens, 'clean')}
          {edits.some((e) => e.enabled) && line(g.editedTokens, 'edited')}
          {d !== null && edits.some((e) => e.enabled) && <p className="muted">diverges at generated token {d}</p>}
          {g.windowed && <p className="muted">The text outgrew the context; the last {useStore.getState().model?.config.nCtx} tokens were used.</p>}
        </>
      ) : (
        <p className="muted">…</p>
      )}
    </div>
  );
}
