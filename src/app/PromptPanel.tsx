import { visibleToken } from '../views/tokens';
import { useState } from 'react';
import { useStore } from '../store/store';
import { getEngine } from './controller';

/** A token typed as text (must encode to one token) or as #ID. */
async function resolveToken(text: string): Promise<{ id: number; token: string } | string> {
  if (/^#\d+$/.test(text)) {
    const id = Number(text.slice(1));
    const V = useStore.getState().model?.config.vocabSize ?? 0;
    if (id >= V) return `token #${id} is outside the vocabulary (0..${V - 1})`;
    return { id, token: (await getEngine().tokenStrings([id]))[0] };
  }
  const t = await getEngine().tokenize(text).catch((e: Error) => e.message);
  if (typeof t === 'string') return t;
  if (t.ids.length !== 1) return `"${text}" is ${t.ids.length} tokens, not one; type a single token or #ID`;
  return { id: t.ids[0], token: t.tokens[0] };
}

function TokenField({ label, field, testId }: { label: string; field: 'target' | 'distractor'; testId: string }) {
  const value = useStore((s) => s[field]);
  const [text, setText] = useState('');
  const [err, setErr] = useState<string | null>(null);
  return (
    <label className="token-field">
      {label}{' '}
      <input
        data-testid={testId}
        placeholder={value ? JSON.stringify(value.token) : field === 'target' ? 'top prediction' : 'none'}
        value={text}
        onChange={(e) => setText(e.target.value)}
        onKeyDown={async (e) => {
          if (e.key !== 'Enter') return;
          if (text === '') return useStore.getState().set({ [field]: null });
          const r = await resolveToken(text);
          if (typeof r === 'string') setErr(r);
          else (setErr(null), setText(''), useStore.getState().set({ [field]: r }));
        }}
        size={10}
      />
      {value && <button onClick={() => useStore.getState().set({ [field]: null })} title="clear">×</button>}
      {err && <span className="error inline">{err}</span>}
    </label>
  );
}

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
              {visibleToken(t)}
            </span>
          ))}
        </div>
      )}
      <div className="controls">
        <TokenField label="target" field="target" testId="target-input" />
        <TokenField label="distractor" field="distractor" testId="distractor-input" />
      </div>
      {promptError && (
        <div className="error inline" data-testid="prompt-error">
          {promptError}
        </div>
      )}
    </div>
  );
}
