import { useRef, useState } from 'react';
import { useStore, type State } from '../store/store';
import { HubPanel } from './HubPanel';
import { getEngine, loadModel } from './controller';
import { openFileList, useDropToOpen } from './local-open';
import { BUNDLED_MODELS } from './models';
import type { ModelInfo } from '../worker/api';

function fmtBytes(n: number): string {
  return n > 1e6 ? `${(n / 1e6).toFixed(1)} MB` : `${(n / 1e3).toFixed(0)} kB`;
}

export function Header() {
  const model = useStore((s) => s.model);
  const ref = useStore((s) => s.modelRef);
  const backend = useStore((s) => s.backend);
  const backendWhy = useStore((s) => s.backendReason);
  const threads = useStore((s) => s.backendThreads);
  const loading = useStore((s) => s.loading);
  const status = useStore((s) => s.status);
  const fileRef = useRef<HTMLInputElement>(null);
  const [url, setUrl] = useState('');

  // Files (or a folder's files) chosen: named from the folder, else the config, else the files (local-open.ts).
  const onFiles = (list: FileList | null) => {
    if (list) void openFileList([...list]);
  };
  useDropToOpen();

  return (
    <header className="header">
      <h1>Pathlight</h1>
      <label>
        Model{' '}
        <select
          data-testid="model-picker"
          value={ref.kind === 'bundled' ? ref.name : ''}
          onChange={(e) => void loadModel({ kind: 'bundled', name: e.target.value })}
        >
          {ref.kind !== 'bundled' && <option value="">{ref.kind === 'local' ? ref.name : ref.kind === 'hub' ? `hf:${ref.name}@${ref.revision}` : ref.url}</option>}
          {BUNDLED_MODELS.map((m) => (
            <option key={m.name} value={m.name} title={m.description}>
              {m.name} — {m.description}
            </option>
          ))}
        </select>
      </label>
      <label className="file-button">
        Open files…
        <input ref={fileRef} type="file" multiple accept=".json,.safetensors,.md" data-testid="file-input" onChange={(e) => onFiles(e.target.files)} />
      </label>
      <label className="file-button" title="a folder with config.json, model.safetensors, tokenizer.json (and MODEL.md); or drop one on the page">
        Open folder…
        <input type="file" data-testid="folder-input" ref={(el) => el?.setAttribute('webkitdirectory', '')} onChange={(e) => onFiles(e.target.files)} />
      </label>
      <form
        className="url-form"
        onSubmit={(e) => {
          e.preventDefault();
          const u = url.trim();
          if (!/^https?:\/\//.test(u) && !u.startsWith('/')) {
            useStore.getState().set({ error: 'Give the http(s) address of a folder holding config.json, model.safetensors and tokenizer.json.' });
            return;
          }
          void loadModel({ kind: 'url', url: u });
        }}
      >
        <input data-testid="model-url" placeholder="or a folder URL…" value={url} onChange={(e) => setUrl(e.target.value)} size={22} />
      </form>
      <HubPanel />
      <span className="model-info" data-testid="model-info" title={model ? model.settings.join('\n') : undefined}>
        {model ? modelSummary(model) : status === 'loading' ? 'loading model…' : 'no model'}
      </span>
      {loading && (
        <span className="progress" data-testid="load-progress">
          <progress value={loading.loaded} max={loading.total || 1} /> {loading.file ? downloadLine(loading) : `${fmtBytes(loading.loaded)} / ${fmtBytes(loading.total)}`}{' '}
          {status === 'loading' && (
            <button data-testid="load-cancel" onClick={() => void getEngine().cancelLoad()}>
              cancel
            </button>
          )}
        </span>
      )}
      <span className="backend" data-testid="backend" title={`tfjs backend in use${backendWhy ? ` — ${backendWhy}` : ''} (choose with ?backend=webgpu|webgl|wasm|cpu)`}>
        backend: {backend ?? '…'}
        {threads > 1 ? ` · ${threads} threads` : ''}
      </span>
    </header>
  );
}

/** A hub download: the file, its MB so far and in all, and the rate. */
function downloadLine(l: NonNullable<State['loading']>): string {
  const mb = (n: number) => (n / 1e6).toFixed(2);
  const of = l.fileTotal ? `${mb(l.fileLoaded ?? 0)} / ${mb(l.fileTotal)} MB` : `${mb(l.fileLoaded ?? 0)} MB`;
  return `${l.phase === 'weights' ? 'loading weights' : `downloading ${l.file}`} ${of} (${mb(l.rate ?? 0)} MB/s)`;
}

/** One line on the model: architecture, sizes, and the settings that set its architecture apart. */
export function modelSummary(model: ModelInfo): string {
  const c = model.config;
  const heads = c.nKvHead < c.nHead ? `${c.nHead} heads (${c.nKvHead} key/value)` : `${c.nHead} heads`;
  const sizes = `${c.nLayer} layers, ${c.dModel} wide, ${c.dMlp} MLP, ${heads}, vocab ${c.vocabSize}, context ${c.nCtx}, ${(model.paramCount / 1e6).toFixed(2)}M parameters`;
  return `${model.name} (${c.modelType}): ${sizes}; ${model.settings.join(', ')}`;
}
