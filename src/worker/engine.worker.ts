/// <reference lib="webworker" />
/** The engine worker: the only place tfjs runs in the browser. Exposes EngineApi through Comlink. */
import * as Comlink from 'comlink';
import * as tf from '@tensorflow/tfjs';
import { backendReason, initBackend, wasmThreads, type BackendName } from '../engine/backend';
import { fail } from '../engine/errors';
import { architecture } from '../engine/arch/registry';
import { loadModel, type Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { RunResult } from '../engine/types';
import { editsForWindow, generate } from '../analysis/generate';
import { NextTokenCache } from '../analysis/next-token';
import { neuronCard } from '../analysis/neuron-card';
import { neuronDirection } from '../analysis/vectors';
import { softmax, topIndices } from '../analysis/probability';
import type { EngineApi, LoadProgress, ModelSource, Prediction, PredictRequest } from './api';
import { Supersede } from './cancel';
import { PRIORITIES, Scheduler } from './scheduler';
import { deleteHubCache, listHubCache } from './hub-fetch';
import { deviceLimits, setRequestContext } from '../engine/memory-check';
import { resultBuffers } from './transfer';
import { modelFiles } from './model-files';
import { reportFatalFaults, watchDevice } from './fatal';
import { steeringEdgesApi } from './steering-edges-api';
import { classPathsApi } from './class-paths-api';
import { analysisApi } from './analysis-api';
import { topImagesApi } from './top-images-api';
import { corpusInfoOf, corpusReference, meansOver, userReference } from './reference';
import type { Reference } from '../analysis/means';
import { batchInput, inputTokens, isPixels } from '../engine/inputs';
import { decodeImage } from '../engine/image-decode';
import { preprocessImageWithPixels } from '../engine/image-preprocess';

let backend: BackendName | null = null;
let model: Model | null = null;
let loadCtrl: AbortController | null = null;
/** The reference text (the model's corpus.txt, or one the user gave), cut by the one policy of analysis/means.ts; may be null. */
let reference: Reference | null = null;
/** The folder (URL) the loaded model came from, where its bundled examples/ are; null for local files and hub models. */
let modelFolder: string | null = null;
/** The clean run of the latest prompt, kept for edited predictions (freed with its model). */
const nextToken = new NextTokenCache();

/** Mean activations for the hooks of `mean` edits, over the reference text (cached per model). */
async function meansFor(m: Model, edits: { hook: string; op: string }[] | undefined) {
  const hooks = [...new Set((edits ?? []).filter((e) => e.op === 'mean').map((e) => e.hook))];
  if (hooks.length === 0) return undefined;
  return meansOver(m, hooks, reference);
}

function names(m: Model, ids: number[]): string[] {
  // Vision models: the output ids are classes, named by config.json's id2label.
  const labels = m.config.vision?.labels;
  return ids.map((i) => (labels ? (labels[i] ?? `#${i}`) : m.tokenizer ? m.tokenizer.tokenString(i) : `#${i}`));
}
const streams = new Supersede();
const scheduler = new Scheduler();

function requireModel(): Model {
  if (!model) fail('no model is loaded');
  return model;
}

/** Next-token distribution at a position (default last) with the top k; superseded like every keyed request. */
/** Predictions come first: they run at the top priority, and every long task steps aside for them. */
function predictNext(key: string | null, req: PredictRequest): Promise<Prediction> {
  return scheduler.run(PRIORITIES.predict, () => predictNow(key, req));
}

async function predictNow(key: string | null, req: PredictRequest): Promise<Prediction> {
  const ticket = streams.take(key);
  await ticket.yield();
  const m = requireModel();
  const input = req.ids;
  inputTokens(m.config, input);
  const means = await meansFor(m, req.edits);
  ticket.check();
  let logits: Float32Array;
  if (isPixels(input)) {
    // A vision model's classes, read at [CLS] over the whole image.
    logits = (await runModel(m, { ...batchInput(input, 1), edits: req.edits ?? [], logits: 'last', means })).logits!.data;
  } else {
    const pos = req.position ?? input.length - 1;
    if (input.length === 0 || pos < 0 || pos >= input.length) fail('predictions need a prompt of at least one token');
    // Edits at positions past the prompt do not apply to it (they would once the text reaches them). The clean run
    // of the prompt is kept, so an edit recomputes only from its layer and position on (analysis/next-token.ts).
    const ids = input.slice(0, pos + 1);
    const edits = editsForWindow(req.edits ?? [], 0, pos + 1);
    logits = (await (edits.length ? nextToken.edited(m, ids, edits, means) : nextToken.clean(m, ids))).logits;
  }
  ticket.check();
  const probs = Float32Array.from(softmax(logits));
  const order = topIndices(probs, req.k);
  return {
    top: order.map((id, i) => ({ id, token: names(m, order)[i], prob: probs[id], logit: logits[id] })),
    probs,
    logits: Float32Array.from(logits),
  };
}

const api: EngineApi = {
  async init(preferred = 'auto', wasmPaths = new URL(`${import.meta.env.BASE_URL}wasm/`, self.location.origin).href) {
    backend = await initBackend(preferred, { wasmPaths });
    // Requests too large for this tab's backend are refused before they run (src/engine/request-memory.ts).
    setRequestContext({ browser: true });
    tf.env().set('PROD', true);
    watchDevice();
    return backend;
  },

  async ping() {
    return true;
  },

  async debugFault(kind) {
    // Test hook: the faults the page must notice and recover from.
    if (kind === 'close') setTimeout(() => self.close(), 0);
    else if (kind === 'abort') {
      // A real fault of the module: freeing an address past the heap ("memory access out of bounds").
      const wasm = (tf.backend() as unknown as { wasm?: { _free(p: number): void; HEAPU8: Uint8Array } }).wasm;
      if (!wasm) fail('the wasm backend is not in use');
      wasm._free(wasm.HEAPU8.length + 4096);
    } else if (kind === 'device') {
      const device = (tf.backend() as unknown as { device?: { destroy(): void } }).device;
      if (!device) fail('the webgpu backend is not in use');
      device.destroy();
    }
  },

  async backendReason() {
    return backendReason();
  },

  async backendThreads() {
    return wasmThreads();
  },

  async backend() {
    if (!backend) fail('the engine is not initialised');
    return backend;
  },

  async loadModel(source: ModelSource, onProgress?: (p: LoadProgress) => void) {
    loadCtrl?.abort();
    const ctrl = (loadCtrl = new AbortController());
    const { name, config, tokenizer, preprocessor, st, corpusText, folder, warnings } = await modelFiles(source, ctrl.signal, onProgress);
    if (ctrl.signal.aborted) fail('loading was cancelled');
    const next = await loadModel(
      { name, config, safetensors: st, tokenizer, preprocessor },
      { signal: ctrl.signal, onProgress: (p) => onProgress?.({ ...p, phase: 'weights' }) },
    );
    // Only now is the old model replaced: a failed load leaves the working model in place.
    nextToken.dispose();
    model?.dispose();
    model = next;
    modelFolder = folder;
    reference = corpusReference(next, corpusText);
    return { name, config: next.config, paramCount: next.paramCount, settings: architecture(next.config.modelType).describe(next.config), hasTokenizer: next.tokenizer !== null, backend: backend!, warnings };
  },

  async cancelLoad() {
    loadCtrl?.abort();
  },

  async deviceLimits() {
    return deviceLimits({ browser: true });
  },

  async hubCacheList() {
    return listHubCache();
  },

  async hubCacheDelete(endpoint, repo, revision) {
    return deleteHubCache(endpoint, repo, revision);
  },

  async tensorCount() {
    return tf.memory().numTensors;
  },

  async tokenize(text) {
    const m = requireModel();
    if (!m.tokenizer) {
      // Models without tokenizer.json take prompts as space- or comma-separated ids.
      const parts = text.split(/[\s,]+/).filter(Boolean);
      const ids = parts.map((p) => {
        const v = Number(p);
        if (!Number.isInteger(v)) fail(`this model has no tokenizer.json: give the prompt as token ids (e.g. "3 77 400"), not "${p}"`);
        return v;
      });
      return { ids, tokens: ids.map((i) => `#${i}`) };
    }
    const ids = m.tokenizer.encode(text);
    return { ids, tokens: ids.map((i) => m.tokenizer!.tokenString(i)) };
  },

  async tokenStrings(ids) {
    // Token strings, or a vision model's class labels.
    return names(requireModel(), ids);
  },

  async run(key, req) {
    const ticket = streams.take(key);
    const res: RunResult = await scheduler.run(PRIORITIES.analysis, async () => {
      ticket.check();
      return runModel(requireModel(), req);
    });
    ticket.check();
    return Comlink.transfer(res, resultBuffers(res));
  },

  async predict(key, req: PredictRequest) {
    const out = await predictNext(key, req);
    return Comlink.transfer(out, [out.probs.buffer as ArrayBuffer, out.logits.buffer as ArrayBuffer]);
  },

  async prepareImage(bytes, name) {
    const m = requireModel();
    const v = m.config.vision;
    if (!v) fail(`${m.name} reads text, not images`);
    const raw = decodeImage(bytes, name);
    // The preview is the 8-bit image the model sees (converted, resized, cropped), so the patch grid lies on it.
    const { values: pixels, pixels: preview } = preprocessImageWithPixels(raw, v, name);
    const digest = new Uint8Array(await crypto.subtle.digest('SHA-256', bytes as Uint8Array<ArrayBuffer>));
    const sha256 = Array.from(digest, (b) => b.toString(16).padStart(2, '0')).join('');
    return Comlink.transfer({ pixels, preview, sha256, width: raw.width, height: raw.height }, [pixels.data.buffer as ArrayBuffer]);
  },

  async topK(ids, k, key = null) {
    return (await predictNext(key, { ids, k })).top;
  },

  async setReference(text, name) {
    reference = userReference(requireModel(), text, name);
    return corpusInfoOf(reference)!;
  },

  async corpusInfo() {
    return corpusInfoOf(reference);
  },

  async cancel(key) {
    streams.cancel(key);
  },

  async generate(key, req, onProgress) {
    const t = streams.take(key);
    const m = requireModel();
    // The continuation is background work: it steps aside at every token for predictions and analyses.
    const r = await scheduler.run(PRIORITIES.background, async (pause) =>
      generate(m, { inputIds: req.ids, edits: req.edits, means: await meansFor(m, req.edits), maxTokens: req.maxTokens, sampling: req.sampling }, { signal: t.signal, onProgress, pause }),
    );
    t.check();
    return { ...r, cleanTokens: names(m, r.clean), editedTokens: names(m, r.edited) };
  },

  async neuronCard(key, req, onProgress) {
    const t = streams.take(key);
    const m = requireModel();
    const c = await scheduler.run(PRIORITIES.analysis, (pause) => neuronCard(m, { ...req, corpus: reference?.windows ?? [], corpusName: reference?.policy.source }, { signal: t.signal, onProgress, pause }));
    t.check();
    return {
      ...c,
      promptTokens: names(m, req.ids),
      contextTokens: c.contexts.map((x) => names(m, x.ids)),
      promotedTokens: names(m, c.promoted.map((x) => x.id)),
      suppressedTokens: names(m, c.suppressed.map((x) => x.id)),
    };
  },

  ...steeringEdgesApi({ streams, scheduler, requireModel, meansFor, names, tokenize: (text) => api.tokenize(text) }),

  ...analysisApi({ streams, scheduler, requireModel, names }),
  ...classPathsApi({ streams, scheduler, requireModel, modelFolder: () => modelFolder }),

  ...topImagesApi({ streams, scheduler, requireModel, modelFolder: () => modelFolder }),

  async neuronDirection(layer, index) {
    const d = await neuronDirection(requireModel(), layer, index);
    return Comlink.transfer(d, [d.buffer as ArrayBuffer]);
  },

  async means(hooks) {
    return meansOver(requireModel(), hooks, reference);
  },
};

reportFatalFaults(api);
Comlink.expose(api);
