import { stepHistory } from './history-actions';
import { VIEW_TABS, type ViewTab } from '../session';
import { DlaPanel, LensPanel } from './LogitPanels';

const TAB_LABELS: Record<ViewTab, string> = { graph: 'Path graph', circuit: 'Attribution graph', heatmap: 'Activations', attention: 'Attention', dla: 'DLA', lens: 'Logit lens' };
import { CircuitPanel } from './CircuitPanel';
import { useEffect } from 'react';
import { answerLinkedModel } from './session-bind';
import { useStore } from '../store/store';
import { ActivationsPanel } from './ActivationsPanel';
import { AnalysisPanel } from './AnalysisPanel';
import { refresh, runAnalysis } from './controller';
import { EditsPanel } from './EditsPanel';
import { GenerationPanel } from './GenerationPanel';
import { Header } from './Header';
import { NeuronCardPanel } from './NeuronCardPanel';
import { PredictionsPanel } from './PredictionsPanel';
import { PromptPanel } from './PromptPanel';
import { SessionsPanel } from './SessionsPanel';
import { SelectionPanel } from './SelectionPanel';
import { SteeringPanel } from './SteeringPanel';
import { ResizableGrid } from './ResizableGrid';
import { ModelCardPanel } from './ModelCardPanel';
import { ImagePanel } from './ImagePanel';
import { ClassPathsPanel } from './ClassPathsPanel';

/**
 * Ctrl/⌘+Enter: run; outside text fields Ctrl/⌘+Z: undo the last action on edits or the selection, Ctrl/⌘+Shift+Z
 * (or Ctrl+Y): redo; Ctrl/⌘+Shift+Backspace: clear edits (undoable).
 */
function useShortcuts() {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      const mod = e.ctrlKey || e.metaKey;
      if (!mod) return;
      const typing = e.target instanceof HTMLElement && /^(INPUT|TEXTAREA|SELECT)$/.test(e.target.tagName);
      if (e.key === 'Enter') {
        e.preventDefault();
        void runAnalysis();
      } else if (e.key.toLowerCase() === 'z' && !typing) {
        e.preventDefault();
        stepHistory(e.shiftKey ? 'redo' : 'undo');
      } else if (e.key.toLowerCase() === 'y' && !typing) {
        e.preventDefault();
        stepHistory('redo');
      } else if (e.key === 'Backspace' && e.shiftKey) {
        e.preventDefault();
        useStore.getState().clearEdits();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);
}

/**
 * Predictions follow the prompt and the edits (debounced while typing). A component of its own that draws nothing:
 * were the App to read the prompt and the edits, every keystroke and every edit would re-render the whole page.
 */
function PredictionsFollowInputs() {
  const prompt = useStore((s) => s.prompt);
  const edits = useStore((s) => s.edits);
  const status = useStore((s) => s.status);
  useEffect(() => {
    if (status !== 'ready') return;
    const t = setTimeout(() => void refresh(), 60);
    return () => clearTimeout(t);
  }, [prompt, edits, status]);
  return null;
}

export function App() {
  const error = useStore((s) => s.error);
  const notices = useStore((s) => s.notices);
  const confirmModel = useStore((s) => s.confirmModel);
  const dismiss = useStore((s) => s.dismiss);
  const tab = useStore((s) => s.tab);
  const set = useStore((s) => s.set);
  const vision = useStore((s) => !!s.model?.config.vision);
  useShortcuts();

  return (
    <div className="app">
      <PredictionsFollowInputs />
      <Header />
      {error && (
        <div className="error" data-testid="error" role="alert">
          {error} <button onClick={() => set({ error: null })}>dismiss</button>
        </div>
      )}
      {confirmModel && (
        <div className="notice confirm" data-testid="confirm-model" role="alertdialog">
          This link opens a model from <strong>{confirmModel.origin}</strong> (<code>{confirmModel.url}</code>). Its files
          would be downloaded into this page and run here; nothing has been fetched yet.{' '}
          <button data-testid="confirm-model-load" onClick={() => void answerLinkedModel(true)}>
            Load it
          </button>{' '}
          <button data-testid="confirm-model-cancel" onClick={() => void answerLinkedModel(false)}>
            Not now
          </button>
        </div>
      )}
      {notices.map((n, i) => (
        <div className="notice" key={i} data-testid="notice">
          {n} <button onClick={() => dismiss(i)}>dismiss</button>
        </div>
      ))}
      <ResizableGrid>
        <section className="col-left">
          {vision ? <ImagePanel /> : <PromptPanel />}
          <PredictionsPanel />
          <ModelCardPanel />
        </section>
        <section className="col-right">
          <nav className="tabs">
            {VIEW_TABS.map((t) => (
              <button key={t} className={tab === t ? 'active' : ''} onClick={() => set({ tab: t })} data-testid={`tab-${t}`}>
                {TAB_LABELS[t]}
              </button>
            ))}
          </nav>
          {tab === 'graph' ? <AnalysisPanel /> : tab === 'circuit' ? <CircuitPanel /> : tab === 'dla' ? <DlaPanel /> : tab === 'lens' ? <LensPanel /> : <ActivationsPanel />}
          {vision && <ClassPathsPanel />}
          <SelectionPanel />
          <NeuronCardPanel />
        </section>
        {/* The edit → effect loop stays in view: edits and the continuation beside the graph and card. */}
        <section className="col-side">
          <EditsPanel />
          {!vision && <GenerationPanel />}
          {!vision && <SteeringPanel />}
          <SessionsPanel />
        </section>
      </ResizableGrid>
      <footer className="muted">Shortcuts: Ctrl+Enter run · Ctrl+Z undo · Ctrl+Shift+Z redo · Ctrl+Shift+Backspace clear edits</footer>
    </div>
  );
}
