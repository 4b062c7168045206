import { useEffect } from 'react';
import { useStore } from '../store/store';
import { refresh } from './controller';
import { EditsPanel } from './EditsPanel';
import { Header } from './Header';
import { PredictionsPanel } from './PredictionsPanel';
import { PromptPanel } from './PromptPanel';

export function App() {
  const prompt = useStore((s) => s.prompt);
  const edits = useStore((s) => s.edits);
  const status = useStore((s) => s.status);
  const error = useStore((s) => s.error);
  const notices = useStore((s) => s.notices);
  const dismiss = useStore((s) => s.dismiss);

  // Predictions follow the prompt and the edits (debounced while typing).
  useEffect(() => {
    if (status !== 'ready') return;
    const t = setTimeout(() => void refresh(), 120);
    return () => clearTimeout(t);
  }, [prompt, edits, status]);

  return (
    <div className="app">
      <Header />
      {error && (
        <div className="error" data-testid="error" role="alert">
          {error}
        </div>
      )}
      {notices.map((n, i) => (
        <div className="notice" key={i} data-testid="notice">
          {n} <button onClick={() => dismiss(i)}>dismiss</button>
        </div>
      ))}
      <main className="grid">
        <section className="col-left">
          <PromptPanel />
          <PredictionsPanel />
        </section>
        <section className="col-right">
          <EditsPanel />
        </section>
      </main>
    </div>
  );
}
