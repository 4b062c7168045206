/**
 * Sessions in the running app: opening the page from a link, keeping the link in step with the work,
 * restoring saved sessions, and reopening sessions whose model came from local files.
 * (The format itself lives in src/session; see docs/sessions.md.)
 */
import { validateEdit } from '../engine/edits';
import { parseNodeId } from '../engine/nodeid';
import { checkModelFiles, createUrlSync, fingerprintModelFiles, readSessionFromLocation, sessionToStore, sessionUrl, storeToSession, workerEncoder, type Session, type UrlSync } from '../session';
import { useStore, type ModelRef, type State } from '../store/store';
import { getEngine, initEngine, loadModel, refresh, runAnalysis, selectNode } from './controller';
import { isHubName, normalizeEndpoint, parseHubRef } from '../engine/hub';
import { ENDPOINT_PARAM, hubModelRef, initialEndpoint } from './hub-actions';
import { hubEndpointVerdict, modelUrlVerdict } from './link-policy';
import { DEFAULT_MODEL } from './models';
import { localModelName } from './model-card';
import { buildCircuit, CIRCUIT_INPUTS } from './circuit-actions';
import { applyLinkedImage, sessionImage, setLinkedImage } from './vision-actions';
import { useImage } from '../store/image';

/** The store keys a session is made of: a change to any of them rewrites the link. */
const SESSION_KEYS = ['modelRef', 'requestedBackend', 'prompt', 'corrupted', 'target', 'distractor', 'targetKind', 'targetPosition', 'method', 'steps', 'beam', 'positions', 'layer', 'path', 'attribution', 'edits', 'selected', 'selection', 'tab', 'viewLayer', 'viewHead', 'zoom', 'circuitGraph', 'circuitNodeThreshold', 'circuitEdgeThreshold', 'maxTokens', 'temperature', 'topK', 'seed'] as const;
/** Inputs of the analysis: when one changes, the graph on screen no longer belongs to them. */
const ANALYSIS_INPUTS = ['prompt', 'corrupted', 'target', 'distractor', 'targetKind', 'targetPosition', 'method', 'steps', 'beam', 'positions', 'layer'] as const;

let sync: UrlSync | null = null;
/** A session waiting for the local files its model came from. */
let pending: Session | null = null;
/** What to do once the user agrees to load a model a link names from another origin. */
let onConfirm: (() => Promise<void>) | null = null;

/**
 * Loads the model at `url` named by a link (not typed by the user), then `then()`: at once on this origin or the
 * hub; elsewhere only after the user has seen the origin and confirmed (the working model stays meanwhile, and the
 * link is left as it is). Non-http(s) URLs are refused with a notice.
 */
async function loadLinkedModel(url: string, then: () => Promise<void>): Promise<void> {
  const v = modelUrlVerdict(url, location.href);
  if (v.kind === 'refuse') {
    useStore.getState().notify(v.message);
    if (!useStore.getState().model) await loadModel({ kind: 'bundled', name: DEFAULT_MODEL });
    return;
  }
  // The absolute address: a relative ?modelUrl= must not end up in the link as a URL other pages cannot open.
  if (v.kind === 'load') {
    await loadModel({ kind: 'url', url: v.url });
    if (useStore.getState().model) await then();
    return;
  }
  if (!useStore.getState().model) await loadModel({ kind: 'bundled', name: DEFAULT_MODEL });
  useStore.getState().set({ confirmModel: { url: v.url, origin: v.origin } });
  onConfirm = async () => {
    await loadModel({ kind: 'url', url: v.url });
    if (useStore.getState().model) await then();
  };
}

/**
 * Loads a hub model a link names. The endpoint is the app's (the user's setting or the public hub) unless the link
 * carries `?hfEndpoint=`: that one is used at once when it is the public hub, this page's origin or the setting,
 * and otherwise only once the user has seen its origin and confirmed (meanwhile the working model stays).
 */
async function loadLinkedHub(ref: Extract<ModelRef, { kind: 'hub' }>, then: () => Promise<void>): Promise<void> {
  const st = useStore.getState();
  const raw = new URLSearchParams(location.search).get(ENDPOINT_PARAM);
  const go = async () => {
    await loadModel(ref);
    if (useStore.getState().model) await then();
  };
  if (raw === null) return go();
  let endpoint: string;
  try {
    endpoint = normalizeEndpoint(raw);
  } catch (e) {
    st.notify(`${(e as Error).message}; the link's hub model is opened from ${st.hubEndpoint} instead.`);
    return go();
  }
  if (endpoint === st.hubEndpoint) return go();
  const v = hubEndpointVerdict(endpoint, `${ref.name} (revision ${ref.revision})`, location.href, [initialEndpoint()]);
  if (v.kind === 'refuse') {
    st.notify(`${v.message} The link's hub model is opened from ${st.hubEndpoint} instead.`);
    return go();
  }
  if (v.kind === 'load') {
    st.set({ hubEndpoint: endpoint });
    return go();
  }
  if (!st.model) await loadModel({ kind: 'bundled', name: DEFAULT_MODEL });
  useStore.getState().set({ confirmModel: { url: v.url, origin: v.origin } });
  onConfirm = async () => {
    useStore.getState().set({ hubEndpoint: endpoint });
    await go();
  };
}

/** The user's answer to "load the model this link names?". */
export async function answerLinkedModel(load: boolean): Promise<void> {
  const go = onConfirm;
  onConfirm = null;
  useStore.getState().set({ confirmModel: null });
  if (load && go) await go();
  else sync?.schedule();
}

export function sessionOfState(s: State = useStore.getState()): Session {
  // Every selected node, the one whose card is shown first (a session's first selected node is the one shown).
  const others = s.selection.filter((id) => id !== s.selected);
  return storeToSession({ ...s, selected: s.selected ? [s.selected, ...others] : others, image: s.model?.config.vision ? sessionImage() : null });
}

/** Applies a session to the loaded model: prompt, target, edits, view, then reruns what was on screen. */
async function applySession(session: Session): Promise<void> {
  const names = async (ids: number[]) => (ids.length ? await getEngine().tokenStrings(ids) : []);
  const t = session.target;
  const [tok, dis] = await names([...(t ? [t.token] : []), ...(t?.distractor !== undefined ? [t.distractor] : [])]).catch(() => [] as string[]);
  const patch = sessionToStore(session);
  // An edit this model cannot run (a layer, unit or position it does not have) is set aside with a notice; it
  // never blocks the predictions.
  const cfg = useStore.getState().model!.config;
  const runnable = patch.edits.filter((e) => {
    try {
      validateEdit(e, cfg, cfg.nCtx);
      return true;
    } catch (err) {
      useStore.getState().notify(`An edit in this link was dropped: ${(err as Error).message}.`);
      return false;
    }
  });
  patch.edits = runnable;
  // A vision model's image: the linked example opened, or the user's own image asked for again (by its SHA-256).
  if (cfg.vision) await applyLinkedImage(patch.image ?? null);
  const st = useStore.getState();
  st.set({
    // A session without a prompt (a damaged link's defaults) keeps the model's sample prompt.
    prompt: patch.prompt || st.prompt,
    target: patch.target ? { id: patch.target.id, token: tok ?? patch.target.token } : null,
    distractor: patch.distractor ? { id: patch.distractor.id, token: dis ?? patch.distractor.token } : null,
    method: patch.method,
    steps: patch.steps,
    beam: patch.beam,
    // Every field the session stores is honoured: the metric, its position, where and which layer to attribute.
    targetKind: patch.targetKind ?? 'logit',
    corrupted: patch.corrupted ?? '',
    targetPosition: patch.targetPosition ?? null,
    positions: patch.positions ?? 'target',
    layer: patch.layer ?? null,
    zoom: patch.zoom ?? null,
    circuitNodeThreshold: patch.circuitNodeThreshold,
    circuitEdgeThreshold: patch.circuitEdgeThreshold,
    circuitGraph: null,
    circuitError: null,
    edits: patch.edits,
    tab: patch.tab,
    viewLayer: patch.viewLayer,
    viewHead: patch.viewHead,
    maxTokens: patch.maxTokens,
    temperature: patch.temperature,
    topK: patch.topK,
    seed: patch.seed,
    path: null,
    attribution: null,
    selected: null,
    selection: [],
  });
  await refresh();
  if (patch.ran) await runAnalysis();
  // The attribution graph that was on screen is built again (same prompt, target and thresholds).
  if (patch.circuitShown) await buildCircuit();
  if (patch.selected) {
    try {
      const n = parseNodeId(patch.selected);
      // Every selected node the session names (the first one's card is shown); ids that are not nodes are dropped.
      const all = patch.selectedAll.filter((id) => {
        try {
          return parseNodeId(id) !== null;
        } catch {
          return false;
        }
      });
      await selectNode(patch.selected, n.kind, n.layer, n.index, all.includes(patch.selected) ? all : [patch.selected]);
    } catch {
      useStore.getState().notify(`The selected node "${patch.selected}" could not be shown.`);
    }
  }
}

/** Loads the session's model (unless it is already the loaded one) and applies the session. */
export async function restoreSession(session: Session, notices: string[] = []): Promise<void> {
  for (const n of notices) useStore.getState().notify(n);
  const m = session.model;
  if (m.kind === 'local') {
    pending = session;
    useStore.getState().notify(`This session used the local model "${m.fingerprint.name}". Open its files (config.json, model.safetensors, tokenizer.json) with "Open files…" to restore it.`);
    if (useStore.getState().status === 'loading') useStore.getState().set({ status: useStore.getState().model ? 'ready' : 'error', error: useStore.getState().model ? null : 'Waiting for the local model files.' });
    return;
  }
  // The image a vision session names is taken by the model once it loads (its examples are listed then).
  setLinkedImage(session.image ?? null);
  const cur = useStore.getState().modelRef;
  const same =
    useStore.getState().model &&
    ((m.kind === 'bundled' && cur.kind === 'bundled' && cur.name === m.name) || (m.kind === 'url' && cur.kind === 'url' && cur.url === m.url) || (m.kind === 'hub' && cur.kind === 'hub' && cur.name === m.name && cur.revision === m.revision));
  if (same) await applySession(session);
  else if (m.kind === 'url') await loadLinkedModel(m.url, () => applySession(session));
  else if (m.kind === 'hub') await loadLinkedHub({ kind: 'hub', name: m.name, revision: m.revision }, () => applySession(session));
  else {
    await loadModel({ kind: 'bundled', name: m.name });
    if (useStore.getState().model) await applySession(session);
  }
}

/** Local files from the picker: fingerprinted, checked against a waiting session, then loaded. */
/** `from`: every file chosen or dropped and the folder they came from, to name the model (localModelName). */
export async function openLocalFiles(files: { config: File; safetensors: File; tokenizer?: File | null }, from: { files?: File[]; folder?: string } = {}): Promise<void> {
  const chosen = from.files ?? [files.config, files.safetensors, ...(files.tokenizer ? [files.tokenizer] : [])];
  const name = localModelName(chosen, await files.config.text().catch(() => null), from.folder);
  let fingerprint;
  try {
    fingerprint = await fingerprintModelFiles({ ...files, name });
  } catch {
    fingerprint = undefined; // no crypto.subtle: the model loads, its link cannot be checked
  }
  const waiting = pending;
  if (waiting && waiting.model.kind === 'local') {
    const check = await checkModelFiles(waiting.model.fingerprint, files);
    if (!check.ok) useStore.getState().notify(`These files differ from the session's model: ${check.problems.join('; ')}. Loaded them anyway; the numbers may differ.`);
  }
  await loadModel({ kind: 'local', name: waiting?.model.kind === 'local' ? waiting.model.fingerprint.name : name, fingerprint }, files);
  if (waiting && useStore.getState().model) {
    pending = null;
    await applySession(waiting);
  }
}

const UNSAVED_KEY = 'pathlight:unsaved-session';

/** A session written at pagehide for the address this page was loaded from (a reload right after a change). */
function takeUnsaved(): void {
  let saved: { from?: string; url?: string } | null = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(UNSAVED_KEY) ?? 'null');
    sessionStorage.removeItem(UNSAVED_KEY);
  } catch {
    return;
  }
  if (saved?.from === location.href && typeof saved.url === 'string' && new URL(saved.url).origin === location.origin) history.replaceState(history.state, '', saved.url);
}

/** `?model=hf:owner/name@rev`: a bad name is said, and the default model opens. */
async function loadLinkedHubName(name: string): Promise<void> {
  let ref;
  try {
    ref = parseHubRef(name);
  } catch (e) {
    useStore.getState().notify(`${(e as Error).message}.`);
    return loadModel({ kind: 'bundled', name: DEFAULT_MODEL });
  }
  await loadLinkedHub(hubModelRef(ref), async () => {});
  if (!useStore.getState().model) {
    const why = useStore.getState().error;
    await loadModel({ kind: 'bundled', name: DEFAULT_MODEL });
    if (why) useStore.getState().set({ error: `Could not load the model: ${why}` });
  }
}

/** Page start: a session link wins over ?model=; the link then follows the work. */
export async function boot(): Promise<void> {
  takeUnsaved();
  useStore.getState().set({ hubEndpoint: initialEndpoint() });
  const params = new URLSearchParams(location.search);
  const opened = readSessionFromLocation();
  try {
    await initEngine(opened?.session.backend ?? params.get('backend'));
    if (opened) {
      await restoreSession(opened.session, opened.notices);
    } else {
      const url = params.get('modelUrl');
      const name = params.get('model');
      if (url) await loadLinkedModel(url, async () => {});
      else if (name !== null && isHubName(name)) await loadLinkedHubName(name);
      else await loadModel({ kind: 'bundled', name: name ?? DEFAULT_MODEL });
    }
  } catch (e) {
    useStore.getState().set({ status: 'error', error: (e as Error).message });
  }
  startUrlSync();
}

function startUrlSync(): void {
  sync = createUrlSync({
    get: () => sessionOfState(),
    debounceMs: 300,
    encode: workerEncoder(),
    onError: (m) => useStore.getState().notify(m),
    onExternalChange: (d) => void restoreSession(d.session, d.notices),
  });
  useStore.subscribe((s, prev) => {
    if (ANALYSIS_INPUTS.some((k) => s[k] !== prev[k]) && (s.path || s.attribution) && !s.running) {
      useStore.getState().set({ path: null, attribution: null, heads: null });
      return;
    }
    if (CIRCUIT_INPUTS.some((k) => s[k] !== prev[k]) && s.circuitGraph && !s.circuitBuilding) {
      useStore.getState().set({ circuitGraph: null });
      return;
    }
    // While the user has not answered about a linked model, the link stays the one they opened.
    if (s.status === 'ready' && s.model && !s.confirmModel && SESSION_KEYS.some((k) => s[k] !== prev[k])) sync?.schedule();
  });
  // A vision model's image is part of the session too (it lives in its own store).
  useImage.subscribe((s, prev) => {
    if (s.image !== prev.image || s.awaitingSha !== prev.awaitingSha) sync?.schedule();
  });
  if (useStore.getState().status === 'ready' && !useStore.getState().confirmModel) sync.schedule();
  // A reload or close right after a change keeps it. A reload has already taken the old address when the page
  // hears of it, so the unsaved session also goes to sessionStorage, tagged with that address; the reloaded page
  // (same tab, same address) takes it from there (see boot).
  addEventListener('pagehide', () => {
    const s = useStore.getState();
    if (s.confirmModel || s.status !== 'ready' || !s.model) return;
    const from = location.href;
    const url = new URL(sessionUrl(sessionOfState()), location.href).href;
    if (url !== from) {
      try {
        sessionStorage.setItem(UNSAVED_KEY, JSON.stringify({ from, url }));
      } catch {
        // storage unavailable: the link below is all there is
      }
    }
    sync?.flush();
  });
}

/** Writes the link now and returns it (for "Copy link"). */
export function currentLink(): string {
  sync?.flush();
  return location.href;
}
