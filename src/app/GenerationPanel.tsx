import { useEffect } from 'react';
import { useStore, useFields } from '../store/store';
import { generationOutOfDate, shownWithEdits, pauseGeneration, resumeGeneration, scheduleGeneration } from './generation-actions';

const show = (t: string) => t.replace(/\n/g, '⏎');

export function GenerationPanel() {
  const g = useStore((s) => s.generation);
  const s = useFields('generationPaused', 'generationProgress', 'maxTokens', 'seed', 'set', 'temperature', 'topK');
  const edits = useStore((st) => st.edits);
  const tokens = useStore((st) => st.tokens);
  const paused = s.generationPaused;
  const progress = s.generationProgress;
  // Debounced: a burst of typing or edits starts one continuation (generation-actions.ts); paused, none.
  useEffect(() => {
    if (!paused) scheduleGeneration();
  }, [tokens, edits, s.maxTokens, s.temperature, s.topK, s.seed, paused]);
  const outOfDate = paused && generationOutOfDate();
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
      <h2>
        Continuation{' '}
        <button data-testid="generation-pause" aria-pressed={paused} onClick={() => (paused ? resumeGeneration() : pauseGeneration())} title={paused ? 'compute the continuation again for the current prompt and edits' : 'stop computing the continuation (edits and typing stay fast); it stays paused until resumed'}>
          {paused ? 'resume' : 'pause'}
        </button>
        {progress && !paused && (
          <span className="muted" data-testid="generation-progress">
            {progress.done}/{progress.total}
          </span>
        )}
      </h2>
      {paused && (
        <p className="muted" data-testid="generation-paused">
          Paused{outOfDate ? ': the continuation below is for an earlier prompt, edits or settings' : ''}.
        </p>
      )}
      <div className="controls">
        <label>
          tokens <input data-testid="generation-max-tokens" type="number" min={1} max={256} value={s.maxTokens} onChange={(e) => s.set({ maxTokens: Math.max(1, Math.min(256, Number(e.target.value) || 40)) })} style={{ width: 56 }} />
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
          {shownWithEdits() && line(g.editedTokens, 'edited')}
          {d !== null && shownWithEdits() && <p className="muted">diverges at generated token {d}</p>}
          {g.windowed && <p className="muted">The text outgrew the context; the last {useStore.getState().model?.config.nCtx} tokens were used.</p>}
        </>
      ) : (
        <p className="muted">…</p>
      )}
    </div>
  );
}
