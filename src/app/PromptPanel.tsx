import { useStore } from '../store/store';

export function PromptPanel() {
  const prompt = useStore((s) => s.prompt);
  const tokens = useStore((s) => s.tokens);
  const promptError = useStore((s) => s.promptError);
  const model = useStore((s) => s.model);
  return (
    <div className="panel">
      <h2>Prompt</h2>
      <textarea
        data-testid="prompt-input"
        value={prompt}
        rows={3}
        spellCheck={false}
        placeholder={model && !model.hasTokenizer ? 'token ids, e.g. 3 77 400' : 'Type a prompt'}
        onChange={(e) => useStore.getState().set({ prompt: e.target.value })}
      />
      {tokens && (
        <div className="chips" data-testid="token-chips">
          {tokens.tokens.map((t, i) => (
            <span key={i} className="chip" title={`position ${i}, id ${tokens.ids[i]}`}>
              {t.replace(/ /g, '·').replace(/\n/g, '⏎')}
            </span>
          ))}
        </div>
      )}
      {promptError && (
        <div className="error inline" data-testid="prompt-error">
          {promptError}
        </div>
      )}
    </div>
  );
}
