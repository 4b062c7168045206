/** The app's one zustand store, in slices. Plain data only: no tensors, no worker handles. */
import { create } from 'zustand';
import type { BackendName } from '../engine/backend-names';
import type { Edit } from '../engine/types';
import type { ModelInfo, TokenProb, TokenView } from '../worker/api';

export type ModelRef = { kind: 'bundled'; name: string } | { kind: 'url'; url: string } | { kind: 'local'; name: string };

export interface UiEdit extends Edit {
  id: string;
  enabled: boolean;
  label?: string;
}

export interface ModelSlice {
  modelRef: ModelRef;
  model: ModelInfo | null;
  backend: BackendName | null;
  requestedBackend: BackendName | 'auto';
  loading: { loaded: number; total: number } | null;
  status: 'loading' | 'ready' | 'error';
  error: string | null;
}

export interface PromptSlice {
  prompt: string;
  tokens: TokenView | null;
  promptError: string | null;
  target: { id: number; token: string } | null;
  distractor: { id: number; token: string } | null;
}

export interface PredictionSlice {
  clean: TokenProb[] | null;
  edited: TokenProb[] | null;
  /** KL(clean ‖ edited) of the full next-token distributions, when edits are active. */
  kl: number | null;
  predicting: boolean;
}

export interface EditsSlice {
  edits: UiEdit[];
}

export interface State extends ModelSlice, PromptSlice, PredictionSlice, EditsSlice {
  notices: string[];
  set: (p: Partial<State>) => void;
  addEdit: (e: Edit, label?: string) => void;
  removeEdit: (id: string) => void;
  toggleEdit: (id: string) => void;
  undoEdit: () => void;
  clearEdits: () => void;
  notify: (msg: string) => void;
  dismiss: (i: number) => void;
}

let editSeq = 0;

export const useStore = create<State>()((set) => ({
  modelRef: { kind: 'bundled', name: 'polyglot' },
  model: null,
  backend: null,
  requestedBackend: 'auto',
  loading: null,
  status: 'loading',
  error: null,
  prompt: '',
  tokens: null,
  promptError: null,
  target: null,
  distractor: null,
  clean: null,
  edited: null,
  kl: null,
  predicting: false,
  edits: [],
  notices: [],
  set: (p) => set(p),
  addEdit: (e, label) => set((s) => ({ edits: [...s.edits, { ...e, id: `e${++editSeq}`, enabled: true, label }] })),
  removeEdit: (id) => set((s) => ({ edits: s.edits.filter((e) => e.id !== id) })),
  toggleEdit: (id) => set((s) => ({ edits: s.edits.map((e) => (e.id === id ? { ...e, enabled: !e.enabled } : e)) })),
  undoEdit: () => set((s) => ({ edits: s.edits.slice(0, -1) })),
  clearEdits: () => set({ edits: [] }),
  notify: (msg) => set((s) => ({ notices: [...s.notices, msg] })),
  dismiss: (i) => set((s) => ({ notices: s.notices.filter((_, j) => j !== i) })),
}));

/** The engine edits of the enabled UI edits. */
export function activeEdits(edits: UiEdit[]): Edit[] {
  return edits.filter((e) => e.enabled).map(({ id: _id, enabled: _en, label: _l, ...e }) => e);
}
