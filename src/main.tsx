import { createRoot } from 'react-dom/client';
import { App } from './app/App';
import { exposeForScripting } from './app/controller';
import { boot } from './app/session-bind';
import { startHistory } from './store/history';
import { useStore } from './store/store';
import './app/style.css';

// body[data-state] mirrors the model status: loading | ready | error (tests wait on it).
useStore.subscribe((s) => {
  document.body.dataset.state = s.status;
});

startHistory();
createRoot(document.getElementById('root')!).render(<App />);
exposeForScripting();
void boot();
