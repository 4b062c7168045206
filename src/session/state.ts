/**
 * Pure mapping between the app store's fields and a Session, so the store never builds session objects by
 * hand. The types here are structural (this module does not import the store): `StoreFields` lists what a
 * session is made of, and `sessionToStore` returns a patch of the same fields.
 */
import { PathlightError } from '../engine/errors';
import type { Edit } from '../engine/types';
import { VIEW_GRAPH_DEFAULTS, type LocalFingerprint, type MethodName, type Session, type SessionEdit, type SessionImage, type ViewTab } from './schema';

export type StoreModelRef =
  | { kind: 'bundled'; name: string }
  | { kind: 'url'; url: string }
  | { kind: 'local'; name: string; fingerprint?: LocalFingerprint }
  | { kind: 'hub'; name: string; revision: string };

export interface StoreEdit extends Edit {
  id?: string;
  enabled: boolean;
  label?: string;
}

/** The store fields a session is made of (fields marked optional are ones the store may not have yet). */
export interface StoreFields {
  modelRef: StoreModelRef;
  requestedBackend: 'auto' | 'webgpu' | 'webgl' | 'wasm' | 'cpu';
  prompt: string;
  /** The corrupted prompt of a clean/corrupted pair; '' or absent = none. */
  corrupted?: string;
  /** A vision model's image: a bundled example's id or the user's file's SHA-256 (null/absent: none). */
  image?: SessionImage | null;
  target: { id: number; token: string } | null;
  distractor: { id: number; token: string } | null;
  /** Default: logit_diff when there is a distractor, else logit (what the controller does today). */
  targetKind?: 'logit' | 'logit_diff' | 'logprob';
  /** Position whose next token is the target; null/undefined = last. */
  targetPosition?: number | null;
  method: MethodName;
  steps: number;
  beam: number;
  positions?: 'target' | 'all' | number;
  layer?: number | null;
  /** Whether a result is on screen; default: `path` or `attribution` is non-null. */
  ran?: boolean;
  path?: unknown;
  attribution?: unknown;
  edits: StoreEdit[];
  /** One node (today's store) or several. */
  selected: string | string[] | null;
  tab: ViewTab;
  viewLayer: number;
  viewHead: number;
  zoom?: { k: number; x: number; y: number } | null;
  /** The attribution graph's thresholds (default VIEW_GRAPH_DEFAULTS). */
  circuitNodeThreshold?: number;
  circuitEdgeThreshold?: number;
  /** Whether an attribution graph is on screen; default: `circuitGraph` is non-null. */
  circuitShown?: boolean;
  circuitGraph?: unknown;
  maxTokens: number;
  temperature: number;
  topK: number;
  seed: number;
}

/**
 * The session of the store's state. Throws PathlightError for a local model without a fingerprint (compute
 * one with fingerprintModelFiles when the files are opened). Not validated here: encodeSession and the saved
 * session store normalize what they are given.
 */
export function storeToSession(s: StoreFields): Session {
  const m = s.modelRef;
  let model: Session['model'];
  if (m.kind === 'local') {
    if (!m.fingerprint) throw new PathlightError(`The local model "${m.name}" has no fingerprint, so a link to it could not be checked when reopened.`);
    model = { kind: 'local', fingerprint: m.fingerprint };
  } else if (m.kind === 'hub') model = { kind: 'hub', name: m.name, revision: m.revision };
  else model = m.kind === 'url' ? { kind: 'url', url: m.url } : { kind: 'bundled', name: m.name };

  const session: Session = {
    v: 2,
    model,
    prompt: s.prompt,
    method: {
      name: s.method,
      steps: s.steps,
      beam: s.beam,
      positions: s.positions ?? 'target',
      ran: s.ran ?? (s.path != null || s.attribution != null),
    },
    edits: s.edits.map((e) => {
      const out: SessionEdit = { hook: e.hook, index: e.index, op: e.op, positions: e.positions, enabled: e.enabled };
      if (e.value !== undefined) out.value = e.value;
      if (e.vector !== undefined) out.vector = Array.from(e.vector);
      if (e.label !== undefined) out.label = e.label;
      return out;
    }),
    selected: s.selected === null ? [] : Array.isArray(s.selected) ? [...s.selected] : [s.selected],
    view: { tab: s.tab, layer: s.viewLayer, head: s.viewHead },
    generation: { maxTokens: s.maxTokens, temperature: s.temperature, topK: s.topK, seed: s.seed },
  };
  if (s.requestedBackend !== 'auto') session.backend = s.requestedBackend;
  if (s.corrupted) session.corrupted = s.corrupted;
  if (s.image) session.image = 'example' in s.image ? { example: s.image.example } : { sha256: s.image.sha256, ...(s.image.name !== undefined ? { name: s.image.name } : {}) };
  if (s.layer !== undefined && s.layer !== null) session.method.layer = s.layer;
  if (s.zoom) Object.assign(session.view, { zoom: s.zoom.k, x: s.zoom.x, y: s.zoom.y });
  if (s.circuitShown ?? s.circuitGraph != null) session.view.circuit = true;
  if (s.circuitNodeThreshold !== undefined && s.circuitNodeThreshold !== VIEW_GRAPH_DEFAULTS.nodeThreshold) session.view.nodeThreshold = s.circuitNodeThreshold;
  if (s.circuitEdgeThreshold !== undefined && s.circuitEdgeThreshold !== VIEW_GRAPH_DEFAULTS.edgeThreshold) session.view.edgeThreshold = s.circuitEdgeThreshold;
  if (s.target) {
    const kind = s.targetKind ?? (s.distractor ? 'logit_diff' : 'logit');
    session.target = { token: s.target.id, kind };
    if (kind === 'logit_diff' && s.distractor) session.target.distractor = s.distractor.id;
    if (s.targetPosition !== undefined && s.targetPosition !== null && s.targetPosition >= 0) session.target.position = s.targetPosition;
  }
  return session;
}

export type StorePatch = Omit<StoreFields, 'path' | 'attribution' | 'circuitGraph' | 'selected' | 'edits' | 'modelRef'> & {
  modelRef: StoreModelRef;
  edits: Array<StoreEdit & { id: string }>;
  /** The first selected node (today's store holds one). */
  selected: string | null;
  /** Every selected node. */
  selectedAll: string[];
  ran: boolean;
  circuitShown: boolean;
  circuitNodeThreshold: number;
  circuitEdgeThreshold: number;
};

let editSeq = 0;

/**
 * The store fields of a (valid) session. Token strings of the target and distractor are unknown until the
 * model is loaded: `tokenString` supplies them (default `#id`); refresh them after loading if needed.
 */
export function sessionToStore(session: Session, tokenString: (id: number) => string = (id) => `#${id}`): StorePatch {
  const m = session.model;
  const t = session.target;
  return {
    modelRef:
      m.kind === 'local'
        ? { kind: 'local', name: m.fingerprint.name, fingerprint: { ...m.fingerprint } }
        : m.kind === 'hub'
          ? { kind: 'hub', name: m.name, revision: m.revision }
          : m.kind === 'url'
            ? { kind: 'url', url: m.url }
            : { kind: 'bundled', name: m.name },
    requestedBackend: session.backend ?? 'auto',
    prompt: session.prompt,
    corrupted: session.corrupted ?? '',
    image: session.image ? { ...session.image } : null,
    target: t ? { id: t.token, token: tokenString(t.token) } : null,
    distractor: t?.distractor !== undefined ? { id: t.distractor, token: tokenString(t.distractor) } : null,
    targetKind: t?.kind ?? 'logit',
    targetPosition: t?.position ?? null,
    method: session.method.name,
    steps: session.method.steps,
    beam: session.method.beam,
    positions: session.method.positions,
    layer: session.method.layer ?? null,
    ran: session.method.ran,
    edits: session.edits.map((e) => {
      const out: StoreEdit & { id: string } = { id: `s${++editSeq}`, hook: e.hook, index: e.index, op: e.op, positions: e.positions === null ? null : [...e.positions], enabled: e.enabled };
      if (e.value !== undefined) out.value = e.value;
      if (e.vector !== undefined) out.vector = [...e.vector];
      if (e.label !== undefined) out.label = e.label;
      return out;
    }),
    selected: session.selected[0] ?? null,
    selectedAll: [...session.selected],
    tab: session.view.tab,
    viewLayer: session.view.layer,
    viewHead: session.view.head,
    zoom: session.view.zoom !== undefined ? { k: session.view.zoom, x: session.view.x ?? 0, y: session.view.y ?? 0 } : null,
    circuitShown: session.view.circuit ?? false,
    circuitNodeThreshold: session.view.nodeThreshold ?? VIEW_GRAPH_DEFAULTS.nodeThreshold,
    circuitEdgeThreshold: session.view.edgeThreshold ?? VIEW_GRAPH_DEFAULTS.edgeThreshold,
    maxTokens: session.generation.maxTokens,
    temperature: session.generation.temperature,
    topK: session.generation.topK,
    seed: session.generation.seed,
  };
}
