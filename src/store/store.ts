/** The app's one zustand store, in slices. Plain data only: no tensors, no worker handles. */
import { create } from 'zustand';
import { useShallow } from 'zustand/react/shallow';
import type { BackendName } from '../engine/backend-names';
import type { Edit, LogitTargetKind } from '../engine/types';
import type { PositionSpec } from '../analysis/scores';
import type { AttributionResult } from '../analysis/attribution';
import type { PathEdge, PathResult } from '../analysis/path';
import type { AttributionGraph } from '../analysis/attribution-graph-types';
import type { NodeId } from '../engine/nodeid';
import type { ViewTab } from '../session/schema';
import type { StoreEdit } from '../session/state';
import type { CorpusInfo, GenerateUiResult, ModelInfo, NeuronCardUi, TokenProb, TokenView } from '../worker/api';
import type { HubCachedModel } from '../worker/hub-fetch';
import { DEFAULT_HF_ENDPOINT } from '../engine/hub';
import type { DeviceLimits } from '../engine/memory-fit';

export type { AnalysisMethod } from '../analysis/methods';
import type { AnalysisMethod } from '../analysis/methods';

export interface AnalysisSlice {
  method: AnalysisMethod;
  steps: number;
  beam: number;
  /** The corrupted prompt of a clean/corrupted pair, for the patching methods ('' = none). */
  corrupted: string;
  /** The metric: the target's logit, the logit difference against the distractor, or its log-probability. */
  targetKind: LogitTargetKind;
  /** Position whose next token is the target; null = the last. */
  targetPosition: number | null;
  /** Where nodes are attributed and path neurons scaled: the target position, every position, or one position. */
  positions: PositionSpec;
  /** Attribute only this layer (null = every layer). */
  layer: number | null;
  /** The path graph's zoom and pan (null = the whole graph). */
  zoom: { k: number; x: number; y: number } | null;
  running: boolean;
  progress: { done: number; total: number } | null;
  path: PathResult | null;
  attribution: AttributionResult | null;
  /** Edges between the top neurons of consecutive layers for the attribution on screen (`for`: that result). */
  attributionEdges: { for: AttributionResult; edges: PathEdge[] } | null;
  /** Head attributions (grad × act on attn.hook_z) drawn beside the neurons. */
  heads: AttributionResult | null;
  analysisError: string | null;
  /** The node whose card is shown (the one clicked last). */
  selected: NodeId | null;
  /** Every selected node (shift/ctrl-click adds or removes one), `selected` among them; empty when none. */
  selection: NodeId[];
  card: NeuronCardUi | null;
  cardLoading: boolean;
}

export interface GenerationSlice {
  generation: GenerateUiResult | null;
  maxTokens: number;
  temperature: number;
  topK: number;
  seed: number;
  /** The continuation is paused: it is not recomputed (edits and prompt changes wait) until resumed. Not in sessions. */
  generationPaused: boolean;
  /** Tokens generated so far by the continuation in flight (null when none runs). */
  generationProgress: { done: number; total: number } | null;
}

/** The attribution graph tab: its pruning thresholds and the graph on screen (kept across tabs, rebuilt from links). */
export interface CircuitSlice {
  circuitNodeThreshold: number;
  circuitEdgeThreshold: number;
  /** The graph of the current prompt and target; null when none is built (or its inputs changed). */
  circuitGraph: AttributionGraph | null;
  circuitBuilding: boolean;
  circuitError: string | null;
}

export interface ViewSlice {
  tab: ViewTab;
  viewLayer: number;
  viewHead: number;
}

import type { LocalFingerprint } from '../session/schema';

export type ModelRef =
  | { kind: 'bundled'; name: string }
  | { kind: 'url'; url: string }
  | { kind: 'local'; name: string; fingerprint?: LocalFingerprint }
  /** A Hugging Face model: `name` is owner/name, from the endpoint in `hubEndpoint`. */
  | { kind: 'hub'; name: string; revision: string };

/** One position's next-token distribution: probabilities and logits over the whole vocabulary. */
export interface Distribution {
  probs: Float32Array;
  logits: Float32Array;
}

/** An edit in the workbench: the session's edit (on/off, label) with the id the edit list keys it by. */
export type UiEdit = StoreEdit & { id: string };

export interface ModelSlice {
  modelRef: ModelRef;
  model: ModelInfo | null;
  backend: BackendName | null;
  /** Why that backend was chosen (shown on hover). */
  backendReason: string;
  /** Threads the WASM backend runs on (1 for other backends, or without cross-origin isolation). */
  backendThreads: number;
  /** A model a link names on another origin, waiting for the user's yes (nothing is fetched before). */
  confirmModel: { url: string; origin: string } | null;
  requestedBackend: BackendName | 'auto';
  /** Bytes so far of a load; hub downloads add the file, its bytes and its rate (bytes/s). */
  loading: { loaded: number; total: number; phase?: 'download' | 'weights'; file?: string; fileLoaded?: number; fileTotal?: number; rate?: number } | null;
  status: 'loading' | 'ready' | 'error';
  /** The hub endpoint hub models load from (the setting, or a link's ?hfEndpoint= once trusted). */
  hubEndpoint: string;
  /** Hub models kept in Cache Storage (null until listed). */
  hubCache: HubCachedModel[] | null;
  /** What the backend can hold (for the curated list's "fits" column). */
  deviceLimits: DeviceLimits | null;
  /**
   * The reference text in use (neuron cards' contexts, mean ablation): the model's corpus.txt or one the user gave;
   * `kept`: saved in this browser for this model (src/app/reference-cache.ts). Null: none, mean ablation waits.
   */
  reference: (CorpusInfo & { kept: boolean }) | null;
  error: string | null;
}

export interface PromptSlice {
  prompt: string;
  tokens: TokenView | null;
  /** The prompt text `tokens` (and the predictions) were computed from; differs from `prompt` until a refresh ends. */
  tokensPrompt: string | null;
  promptError: string | null;
  target: { id: number; token: string } | null;
  distractor: { id: number; token: string } | null;
}

export interface PredictionSlice {
  clean: TokenProb[] | null;
  edited: TokenProb[] | null;
  /** The full clean and edited next-token distributions (probabilities and logits) behind those lists. */
  cleanDist: Distribution | null;
  editedDist: Distribution | null;
  /** KL(clean ‖ edited) of the full next-token distributions, when edits are active. */
  kl: number | null;
  predicting: boolean;
}

export interface EditsSlice {
  edits: UiEdit[];
  /** Edits a model switch set aside because the new model cannot run them, with the model they came from. */
  setAside: { edits: UiEdit[]; from: string } | null;
}

export interface State extends ModelSlice, PromptSlice, PredictionSlice, EditsSlice, AnalysisSlice, GenerationSlice, ViewSlice, CircuitSlice {
  notices: string[];
  set: (p: Partial<State>) => void;
  addEdit: (e: Edit, label?: string) => void;
  /** Several edits as one action (one undo step). */
  addEdits: (es: Array<{ edit: Edit; label?: string }>) => void;
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
  backendReason: '',
  backendThreads: 1,
  confirmModel: null,
  requestedBackend: 'auto',
  loading: null,
  status: 'loading',
  hubEndpoint: DEFAULT_HF_ENDPOINT,
  hubCache: null,
  deviceLimits: null,
  reference: null,
  error: null,
  prompt: '',
  tokens: null,
  tokensPrompt: null,
  promptError: null,
  target: null,
  distractor: null,
  clean: null,
  edited: null,
  cleanDist: null,
  editedDist: null,
  kl: null,
  predicting: false,
  edits: [],
  setAside: null,
  method: 'path',
  steps: 20,
  beam: 1,
  targetKind: 'logit',
  corrupted: '',
  targetPosition: null,
  positions: 'target',
  layer: null,
  zoom: null,
  running: false,
  progress: null,
  path: null,
  attribution: null,
  attributionEdges: null,
  heads: null,
  analysisError: null,
  selected: null,
  selection: [],
  card: null,
  cardLoading: false,
  generation: null,
  maxTokens: 40,
  temperature: 0,
  topK: 0,
  seed: 1,
  generationPaused: false,
  generationProgress: null,
  tab: 'graph',
  viewLayer: 0,
  viewHead: 0,
  circuitNodeThreshold: 0.8,
  circuitEdgeThreshold: 0.98,
  circuitGraph: null,
  circuitBuilding: false,
  circuitError: null,
  notices: [],
  set: (p) => set(p),
  addEdit: (e, label) => set((s) => ({ edits: [...s.edits, { ...e, id: `e${++editSeq}`, enabled: true, label }] })),
  addEdits: (es) => set((s) => ({ edits: [...s.edits, ...es.map(({ edit, label }) => ({ ...edit, id: `e${++editSeq}`, enabled: true, label }))] })),
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

/**
 * The named fields of the store, re-rendering only when one of them changes (a panel that read the whole store
 * re-rendered on every progress tick and prediction, rewriting its inputs' attributes each time).
 */
export function useFields<K extends keyof State>(...keys: K[]): Pick<State, K> {
  return useStore(useShallow((s) => pick(s, keys)));
}

function pick<K extends keyof State>(s: State, keys: K[]): Pick<State, K> {
  const out = {} as Pick<State, K>;
  for (const k of keys) out[k] = s[k];
  return out;
}
