/**
 * Connects the store to the engine worker: loads models, tokenizes the prompt and refreshes predictions when
 * the prompt or the edits change. Every worker request is keyed so a newer one supersedes a stale one.
 */
import { isBackendName, type BackendName } from '../engine/backend-names';
import { validateEdit } from '../engine/edits';
import type { Edit, LogitTargetKind, RunRequest } from '../engine/types';
import { klDivergence } from '../analysis/probability';
import { isPatching } from '../analysis/methods';
import type { AttributionResult } from '../analysis/attribution';
import { activeEdits, useStore, type ModelRef, type State, type UiEdit } from '../store/store';
import type { LoadProgress, ModelInfo, ModelSource, ProgressFn, TokenProb } from '../worker/api';
import { Comlink, isSuperseded, startEngine, withProgress, type Engine } from '../worker/client';
import { hubRefOf, refreshHubCache, syncEndpointParam } from './hub-actions';
import { BUNDLED_MODELS, modelBaseUrl, wasmBaseUrl } from './models';
import { superviseWorker } from './supervisor';
import { generationRequests } from './generation-actions';
import { restoreModelReference } from './reference-actions';
import { loadAttributionEdges } from './edge-actions';
import { isVisionModel, loadPatchActivations, loadTopImages, openVisionModel, refreshVision, visionInput } from './vision-actions';
import type { ModelInput } from '../engine/inputs';
import { useImage } from '../store/image';
import { cancelClassPaths } from './class-paths-actions';

/** The prompt a hub model opens with when there is none yet. */
const HUB_SAMPLE_PROMPT = 'The cat sat on the';

let engine: Engine | null = null;
let stopWorker: ((reason: string) => void) | null = null;
let ready: Promise<BackendName> | null = null;
/** The files of the model opened from disk, so a restarted engine can reload it without asking again. */
let lastFiles: { config: File; safetensors: File; tokenizer?: File | null } | undefined;
let restarting = false;

export function getEngine(): Engine {
  if (!engine) {
    const started = startEngine();
    engine = started.engine;
    stopWorker = started.stop;
    superviseWorker(started.worker, started.engine, (reason) => void restartEngine(reason));
  }
  return engine;
}

/**
 * The engine died (worker closed, wasm abort, WebGPU device lost, no answer): say so, start a new worker, reload
 * the model (from the browser's cache where it came from the network) and carry on with the same prompt, target
 * and edits. What was on screen from the dead engine is cleared, never left as if current.
 */
async function restartEngine(reason: string): Promise<void> {
  if (restarting) return;
  restarting = true;
  const st = useStore.getState();
  const keep = { target: st.target, distractor: st.distractor, modelRef: st.modelRef, backend: st.requestedBackend };
  st.notify(`The engine stopped: ${reason}. Restarting it and reloading ${st.model?.name ?? 'the model'} with your prompt and edits.`);
  // Whatever the dead engine had not answered rejects as cancelled; the refresh below asks the new one.
  stopWorker?.(reason);
  engine = null;
  stopWorker = null;
  ready = null;
  useStore.getState().set({ clean: null, edited: null, cleanDist: null, editedDist: null, kl: null, predicting: false, running: false, progress: null, generation: null, card: null, cardLoading: false });
  try {
    await initEngine(keep.backend === 'auto' ? null : keep.backend);
    await loadModel(keep.modelRef, keep.modelRef.kind === 'local' ? lastFiles : undefined);
    if (useStore.getState().model) {
      useStore.getState().set({ target: keep.target, distractor: keep.distractor });
      await refresh();
      useStore.getState().notify('The engine is running again.');
    }
  } catch (e) {
    useStore.getState().set({ status: 'error', error: `The engine could not be restarted: ${message(e)}` });
  } finally {
    restarting = false;
  }
}

function message(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

export async function initEngine(requested: string | null): Promise<BackendName> {
  const want = requested && isBackendName(requested) ? requested : 'auto';
  if (requested && !isBackendName(requested)) useStore.getState().notify(`Unknown backend "${requested}" in the URL; choosing automatically.`);
  useStore.getState().set({ requestedBackend: want });
  ready = getEngine().init(want, wasmBaseUrl());
  const b = await ready;
  useStore.getState().set({ backend: b, backendReason: await getEngine().backendReason(), backendThreads: await getEngine().backendThreads() });
  void getEngine().deviceLimits().then((deviceLimits) => useStore.getState().set({ deviceLimits }), () => {});
  return b;
}

let loadSeq = 0;

/**
 * The edits a model can run are kept across a model switch; the others are set aside (restorable with
 * restoreSetAside when a model that runs them is loaded again).
 */
function keepRunnable(edits: UiEdit[], info: ModelInfo, from: string): { edits: UiEdit[]; setAside: { edits: UiEdit[]; from: string } | null } {
  const keep: UiEdit[] = [];
  const aside: UiEdit[] = [];
  for (const e of edits) {
    try {
      validateEdit(e, info.config, info.config.nCtx);
      keep.push(e);
    } catch {
      aside.push(e);
    }
  }
  if (aside.length > 0) useStore.getState().notify(`${aside.length} edit${aside.length > 1 ? 's' : ''} from ${from} cannot run on ${info.name} and ${aside.length > 1 ? 'were' : 'was'} set aside (restore ${aside.length > 1 ? 'them' : 'it'} from the edit list).`);
  return { edits: keep, setAside: aside.length ? { edits: aside, from } : useStore.getState().setAside };
}

/** Brings back the set-aside edits the loaded model can run. */
export function restoreSetAside(): void {
  const s = useStore.getState();
  if (!s.setAside || !s.model) return;
  const r = keepRunnable(s.setAside.edits, s.model, s.setAside.from);
  useStore.getState().set({ edits: [...s.edits, ...r.edits], setAside: r.edits.length === s.setAside.edits.length ? null : { edits: s.setAside.edits.filter((e) => !r.edits.includes(e)), from: s.setAside.from } });
}

export async function loadModel(ref: ModelRef, files?: { config: File; safetensors: File; tokenizer?: File | null }): Promise<void> {
  const st = useStore.getState();
  const seq = ++loadSeq;
  st.set({ status: 'loading', error: null, loading: null });
  // A class analysis still running would read the model about to be replaced.
  if (useImage.getState().classRunning) void cancelClassPaths();
  try {
    await ready;
    let source: ModelSource;
    if (ref.kind === 'local') {
      if (!files) throw new Error(`the model "${ref.name}" came from local files: open them again to restore it`);
      source = { kind: 'files', name: ref.name, files };
      lastFiles = files;
    } else if (ref.kind === 'url') {
      source = { kind: 'url', baseUrl: ref.url };
    } else if (ref.kind === 'hub') {
      source = { kind: 'hub', ref: hubRefOf(ref), endpoint: st.hubEndpoint };
    } else {
      source = { kind: 'url', baseUrl: modelBaseUrl(ref.name), name: ref.name };
    }
    const info = await getEngine().loadModel(
      source,
      Comlink.proxy((p: LoadProgress) => {
        if (useStore.getState().status === 'loading') useStore.getState().set({ loading: { loaded: p.loadedBytes, total: p.totalBytes, phase: p.phase, file: p.file, fileLoaded: p.fileLoaded, fileTotal: p.fileTotal, rate: p.bytesPerSecond } });
      }),
    );
    if (ref.kind === 'hub') void refreshHubCache();
    if (seq !== loadSeq) return; // a newer load replaced this one
    if (ref.kind === 'hub') syncEndpointParam(st.hubEndpoint);
    // The reference text kept in this browser for this model (else its corpus.txt), before predictions: mean edits read it.
    const reference = await restoreModelReference(ref, info.config, st.hubEndpoint).catch(() => null);
    if (seq !== loadSeq) return;
    useStore.getState().set({ reference });
    for (const w of info.warnings ?? []) useStore.getState().notify(w);
    const sample = ref.kind === 'bundled' ? BUNDLED_MODELS.find((m) => m.name === ref.name)?.samplePrompt : ref.kind === 'hub' ? HUB_SAMPLE_PROMPT : undefined;
    const prev = useStore.getState();
    const prompt = prev.prompt || sample || '';
    const kept = keepRunnable(prev.edits, info, prev.model?.name ?? 'the previous model');
    useStore.getState().set({ model: info, modelRef: ref, status: 'ready', loading: null, prompt, target: null, distractor: null, edits: kept.edits, setAside: kept.setAside });
    // Vision models take an image: their bundled examples are listed and the first (or the linked one) opened.
    if (info.config.vision) await openVisionModel(ref.kind === 'bundled' ? ref.name : null);
    await refresh();
  } catch (e) {
    if (ref.kind === 'hub') void refreshHubCache();
    // A load replaced by a newer one (rapid model switches) ends quietly: the newer one reports.
    if (seq !== loadSeq) return;
    // The previous model (if any) stays loaded in the worker; the app stays usable.
    const prev = useStore.getState().model;
    useStore.getState().set({ status: prev ? 'ready' : 'error', error: prev ? `Could not load the model: ${message(e)}` : message(e), loading: null });
  }
}

/** Tokenizes the prompt and recomputes clean and edited next-token predictions. */
export async function refresh(): Promise<void> {
  const s = useStore.getState();
  if (!s.model) return;
  if (s.model.config.vision) return refreshVision();
  const eng = getEngine();
  let ids: number[];
  try {
    const tokens = await eng.tokenize(s.prompt);
    ids = tokens.ids;
    if (ids.length === 0) {
      useStore.getState().set({ tokens, tokensPrompt: s.prompt, clean: null, edited: null, cleanDist: null, editedDist: null, kl: null, promptError: 'Type a prompt to see predictions.' });
      return;
    }
    if (ids.length > s.model.config.nCtx) {
      useStore.getState().set({ tokens, tokensPrompt: s.prompt, clean: null, edited: null, cleanDist: null, editedDist: null, kl: null, promptError: `The prompt is ${ids.length} tokens long; this model reads at most ${s.model.config.nCtx}. Shorten it to see predictions.` });
      return;
    }
    useStore.getState().set({ tokens, tokensPrompt: s.prompt, promptError: null, predicting: true });
  } catch (e) {
    useStore.getState().set({ tokensPrompt: s.prompt, promptError: message(e), clean: null, edited: null, cleanDist: null, editedDist: null });
    return;
  }
  const edits = activeEdits(s.edits);
  try {
    // Both requests settle together, so a superseded one never leaves an unhandled rejection behind.
    const [clean, edited] = await Promise.all([
      eng.predict('clean', { ids, k: 10 }),
      edits.length ? eng.predict('edited', { ids, k: 10, edits }) : Promise.resolve(null),
    ]);
    useStore.getState().set({
      clean: clean.top,
      edited: edited ? edited.top : null,
      cleanDist: { probs: clean.probs, logits: clean.logits },
      editedDist: edited ? { probs: edited.probs, logits: edited.logits } : null,
      kl: edited ? klDivergence(clean.probs, edited.probs) : null,
      predicting: false,
      // `error` (a failed model load) is left alone: a prediction finishing later must not hide it.
    });
  } catch (e) {
    if (isSuperseded(e)) return;
    useStore.getState().set({ predicting: false, promptError: message(e) });
  }
}

/** Console and test access to the engine: `await __pathlight.run({...})`. */
export function exposeForScripting(): void {
  (globalThis as unknown as { __pathlight: unknown }).__pathlight = {
    run: (req: RunRequest) => getEngine().run(null, req),
    /** The worker's typed API itself (keyed requests, superseding); the live one after a restart. */
    get engine() {
      return getEngine();
    },
    predict: (ids: number[], edits: Edit[] = [], k = 10): Promise<{ top: TokenProb[] }> => getEngine().predict(null, { ids, edits, k }),
    state: () => useStore.getState(),
    addEdit: (e: Edit, label?: string) => useStore.getState().addEdit(e, label),
    clearEdits: () => useStore.getState().clearEdits(),
    /** Continuations sent to the engine so far (the debounce's e2e check). */
    generationRequests,
  };
}

/** The current target: the clicked (or typed) token, else the top prediction. */
export function currentTarget(): { token: number; distractor?: number } | null {
  const s = useStore.getState();
  const token = s.target?.id ?? s.clean?.[0]?.id;
  if (token === undefined) return null;
  return { token, distractor: s.distractor?.id };
}

/**
 * Waits until the tokens and predictions on screen belong to the current prompt: a Run right after typing must not
 * analyse the previous prompt while the debounced refresh has yet to start (or another is in flight).
 */
async function settledPredictions(): Promise<void> {
  const settled = () => {
    const s = useStore.getState();
    return s.tokensPrompt === s.prompt && (s.promptError !== null || (s.tokens !== null && s.clean !== null && !s.predicting));
  };
  for (let i = 0; i < 20 && !settled(); i++) {
    await refresh();
    if (!settled()) await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs the chosen method (path search or an attribution) with progress; a new run supersedes the old. */
export async function runAnalysis(): Promise<void> {
  await settledPredictions();
  const s = useStore.getState();
  // A vision model's input is its image (the tokens are [CLS] and the patches).
  const ids: ModelInput | undefined = isVisionModel() ? (visionInput() ?? undefined) : s.tokens?.ids;
  const t = currentTarget();
  if (!s.model || !ids || (Array.isArray(ids) && ids.length === 0) || !t) {
    useStore.getState().set({ analysisError: 'Type a prompt first: the target is the clicked (or top) predicted token.' });
    return;
  }
  // The metric the user chose; a logit difference needs a distractor (without one it is the target's logit).
  const kind = s.targetKind === 'logit_diff' && t.distractor === undefined ? 'logit' : s.targetKind === 'logit' && t.distractor !== undefined ? 'logit_diff' : s.targetKind;
  const position = Array.isArray(ids) && s.targetPosition !== null && s.targetPosition < ids.length ? s.targetPosition : undefined;
  const target = { kind, token: t.token, distractor: kind === 'logit_diff' ? t.distractor : undefined, position };
  // A run pins its target (the top prediction when none was chosen), so the link records what was explained.
  if (!s.target && s.clean?.[0]) useStore.getState().set({ target: { id: s.clean[0].id, token: s.clean[0].token } });
  const forPrompt = s.prompt;
  /** A result is shown only for the prompt it was computed for: typing during a run discards it. */
  const stale = () => {
    if (useStore.getState().prompt === forPrompt) return false;
    useStore.getState().set({ running: false, progress: null });
    return true;
  };
  useStore.getState().set({ running: true, progress: null, analysisError: null });
  // At most 5 progress updates a second reach the store (each re-renders the panels); the last one always does.
  let shownAt = 0;
  const onProgress = (done: number, total: number) => {
    const now = performance.now();
    if (done < total && now - shownAt < 200) return;
    shownAt = now;
    useStore.getState().set({ progress: { done, total } });
  };
  const eng = getEngine();
  try {
    await withProgress(onProgress, async (progress) => {
      // Head scores for the graph; a failure here only leaves the heads out.
      const heads = eng.attribute('heads', { ids, target, method: 'gxa', kinds: ['head'] }).catch(() => null);
      if (s.method === 'path') {
        const path = await eng.path('analysis', { ids, target, steps: s.steps, beam: s.beam, positions: s.positions }, progress);
        const headScores = await heads;
        if (stale()) return;
        useStore.getState().set({ path, attribution: null, heads: headScores, running: false, progress: null });
      } else if (!Array.isArray(ids)) {
        useStore.getState().set({ running: false, progress: null, analysisError: 'On images, NeuronPath runs (the other methods take a text prompt).' });
      } else if (isPatching(s.method)) {
        const attribution = await runPatching(s, ids, target, progress);
        if (!attribution || stale()) return;
        useStore.getState().set({ attribution, path: null, heads: attribution, running: false, progress: null });
      } else {
        const attribution = await eng.attribute('analysis', { ids, target, method: s.method, steps: s.steps, positions: s.positions, layer: s.layer ?? undefined }, progress);
        if (stale()) return;
        useStore.getState().set({ attribution, path: null, heads: attribution, running: false, progress: null });
        // The edges between the top neurons of consecutive layers follow (the nodes are shown first).
        void loadAttributionEdges(attribution, ids);
      }
    });
  } catch (e) {
    if (isSuperseded(e)) return;
    useStore.getState().set({ running: false, progress: null, analysisError: message(e) });
  }
}

/**
 * Patching over the clean prompt and the corrupted one (same token count): each unit's score is the metric of the
 * corrupted run with that unit set to its clean value, less the corrupted metric (denoising), exact or
 * approximated (AtP, RelP). Shown on the graph as an attribution whose target value is the clean metric.
 */
async function runPatching(s: State, ids: number[], target: { kind: LogitTargetKind; token: number; distractor?: number }, progress: ProgressFn): Promise<AttributionResult | null> {
  const eng = getEngine();
  const fail = (m: string) => (useStore.getState().set({ running: false, progress: null, analysisError: m }), null);
  if (!s.corrupted.trim()) return fail('Patching compares the prompt with a corrupted one: type the corrupted prompt first.');
  const corrupted = (await eng.tokenize(s.corrupted)).ids;
  if (corrupted.length !== ids.length) return fail(`The corrupted prompt is ${corrupted.length} tokens long and the prompt ${ids.length}: patching needs the same number of tokens.`);
  const method = s.method === 'patch_exact' ? 'exact' : s.method === 'patch_atp' ? 'atp' : 'relp';
  const positions = s.positions === 'target' ? 'last' : s.positions;
  const r = await eng.patch('analysis', { clean: ids, corrupted, target: target.token, distractor: target.distractor, metric: target.kind, method, positions, layers: s.layer === null ? undefined : [s.layer], hooks: ['mlp', 'heads'] }, progress);
  return { target: { ...target, position: ids.length - 1 }, method: s.method as never, targetValue: r.cleanMetric, scores: r.scores, patch: { cleanMetric: r.cleanMetric, corruptedMetric: r.corruptedMetric, method: r.method } } as AttributionResult;
}

export async function cancelAnalysis(): Promise<void> {
  await getEngine().cancel('analysis');
  useStore.getState().set({ running: false, progress: null, analysisError: 'Cancelled.' });
}

/**
 * Opens the neuron card of a node (neurons only; heads show their attention pattern). `selection`: every selected
 * node with this one among them (default: this one alone).
 */
export async function selectNode(id: string, kind: 'neuron' | 'head', layer: number, index: number, selection: string[] = [id]): Promise<void> {
  const s = useStore.getState();
  useStore.getState().set({ selected: id, selection, card: null });
  if (kind === 'head') {
    // The head's card opens beside the graph (its pattern); the Attention tab follows the same head.
    useStore.getState().set({ viewLayer: layer, viewHead: index });
    return;
  }
  if (isVisionModel()) {
    // On an image: the activation over its patches, and (not waited for) the neuron's top-activating bundled examples.
    void loadTopImages(id, layer, index);
    return loadPatchActivations(id, layer, index);
  }
  const ids = s.tokens?.ids;
  if (!ids) return;
  useStore.getState().set({ cardLoading: true });
  try {
    const card = await getEngine().neuronCard('card', { ids, layer, index });
    if (useStore.getState().selected === id) useStore.getState().set({ card, cardLoading: false });
  } catch (e) {
    if (isSuperseded(e)) return;
    useStore.getState().set({ cardLoading: false, analysisError: message(e) });
  }
}
