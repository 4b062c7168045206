import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { initEngine, loadModel, exposeForScripting } from './app/controller';
import { DEFAULT_MODEL } from './app/models';
import { useStore } from './store/store';
import './app/style.css';

// body[data-state] mirrors the model status: loading | ready | error (tests wait on it).
useStore.subscribe((s) => {
  document.body.dataset.state = s.status;
});

const params = new URLSearchParams(location.search);
createRoot(document.getElementById('root')!).render(<App />);
exposeForScripting();
initEngine(params.get('backend'))
  .then(() => {
    const url = params.get('modelUrl');
    return loadModel(url ? { kind: 'url', url } : { kind: 'bundled', name: params.get('model') ?? DEFAULT_MODEL });
  })
  .catch((e: Error) => useStore.getState().set({ status: 'error', error: e.message }));
