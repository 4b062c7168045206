import type { AttributionGraph, AttributionGraphRequest } from '../analysis/attribution-graph';
import type { PatchRequest, PatchResult } from '../analysis/patching';
import type { DlaRequest, DlaResult, LensResult } from '../analysis/dla';
import type { FaithfulnessMeterRequest, FaithfulnessMeterResult } from '../analysis/faithfulness-meter';
/** The one typed API between the page and the engine worker. Everything crossing it is plain data. */
import type { BackendName } from '../engine/backend-names';
import type { AttributionRequest, AttributionResult } from '../analysis/attribution';
import type { GenerateResult, Sampling } from '../analysis/generate';
import type { NeuronCard } from '../analysis/neuron-card';
import type { PathRequest, PathResult } from '../analysis/path';
import type { Edit, ModelConfig, RunRequest, RunResult } from '../engine/types';
import type { HubRef } from '../engine/hub';
import type { DeviceLimits } from '../engine/memory-fit';
import type { HubCachedModel } from './hub-fetch';
import type { ResidPoint } from '../analysis/steering';
import type { SteeringSweep, SteeringSweepRequest } from '../analysis/steering-sweep';
import type { LayerEdgesRequest } from '../analysis/layer-edges';
import type { PathEdge } from '../analysis/path';
import type { ModelInput, PixelValues } from '../engine/inputs';
import type { RawImage } from '../engine/image-decode';
import type { ClassNeuronMatrix, ClassPathMethod, ImagePath, Overlap } from '../analysis/class-path-stats';

/** An image decoded and preprocessed in the worker (src/engine/image-decode.ts, image-preprocess.ts). */
export interface PreparedImage {
  /** The model's input [C, H, W]. */
  pixels: PixelValues;
  /** The 8-bit pixels the model sees (converted to its channels, resized, center-cropped; before rescaling), for display. */
  preview: RawImage;
  /** SHA-256 of the file's bytes, hex: how a session names a user's own image. */
  sha256: string;
  /** The file's own size. */
  width: number;
  height: number;
}

/** An image of a class-level analysis given by the caller: preprocessed as prepareImage does, with its class. */
export interface LabelledPixels {
  id: string;
  label: number;
  pixels: PixelValues;
}

/** Class-level paths (src/analysis/class-paths.ts) over labelled images, each path for the image's own label. */
export interface ClassPathsUiRequest {
  /**
   * `examples`: the loaded model's bundled examples (examples/index.json in the folder it was loaded from), the first
   * `perClass` of each class in the index's order (fewer where a class has fewer); `given`: the caller's images.
   */
  images: { kind: 'examples'; perClass: number } | { kind: 'given'; images: LabelledPixels[] };
  /** Integrated-gradient steps of each path search; default 20. */
  steps?: number;
  /** Paths at every token (default, the paper's setting) or at [CLS] only. */
  positions?: 'all' | 'cls';
  /** Bootstrap resamples and label permutations of the overlap; default 1000. */
  resamples?: number;
  seed?: number;
}

export interface ClassPathsUi {
  /** Tokens the paths sit at (every token, or [0] for [CLS]). */
  positions: number[];
  steps: number;
  /** Bootstrap resamples and label permutations behind `overlap`. */
  resamples: number;
  /** Class names by index (id2label). */
  labels: string[];
  /** Per image: its id, label, the model's class, and each method's path (node ids and neuron per layer). */
  images: ImagePath[];
  /** Per method, the class × neuron matrix: counts[c][j] of the images of classes[c] whose path holds neurons[j] (frequency: ÷ images[c]). */
  matrices: Record<ClassPathMethod, ClassNeuronMatrix>;
  /** Per method, within- vs between-class overlap, the 95% bootstrap interval of their difference and the permutation p. */
  overlap: Record<ClassPathMethod, Overlap>;
}

/** A neuron's top-activating images among the loaded vision model's bundled examples (top-images-api.ts). */
export interface TopImagesRequest {
  layer: number;
  /** The neuron of blocks.{layer}.mlp.hook_post. */
  index: number;
  /** Images in each list; default 8 (fewer when the examples are fewer). */
  k?: number;
}

/** One bundled example ranked by a neuron's activation on it (clean run, no edits). */
export interface TopImage {
  id: string;
  label: number;
  /** Its file in the examples folder. */
  file: string;
  /** The neuron's largest activation over the image's tokens ([CLS] and every patch). */
  value: number;
  /** The token where that largest activation sits: 0 = [CLS], 1 + p = patch p (row-major). */
  token: number;
  /** Its activation at [CLS]. */
  cls: number;
}

export interface TopImagesUi {
  layer: number;
  index: number;
  hook: string;
  /** Bundled examples ranked (0 when there are none). */
  images: number;
  /** The k examples with the largest activation (max over tokens), largest first (ties: index order). */
  top: TopImage[];
  /** The k examples with the smallest max over tokens, smallest first: the least activating. */
  bottom: TopImage[];
  /** Images run through the model for this request: 0 when the layer's activations were already cached. */
  ran: number;
  /** Why nothing is ranked (a model opened from local files or the hub has no bundled examples); null when ranked. */
  reason: string | null;
}

export type ModelSource =
  | { kind: 'url'; baseUrl: string; name?: string }
  | { kind: 'files'; files: ModelFileSet; name?: string }
  /** A Hugging Face model by name, from `endpoint` (hub-fetch.ts), kept in Cache Storage. */
  | { kind: 'hub'; ref: HubRef; endpoint: string; name?: string };

/** Local files in the Hugging Face layout: config.json + model.safetensors (+ tokenizer.json). */
export interface ModelFileSet {
  config: File | Blob;
  safetensors: File | Blob;
  tokenizer?: File | Blob | null;
}

/** The reference text behind neuron cards and mean ablation, cut by the one policy of src/analysis/means.ts. */
export interface CorpusInfo {
  /** Where it came from: `corpus.txt`, a file name, `pasted text`. */
  name: string;
  windows: number;
  tokens: number;
  /** Tokens per window (min(64, n_ctx)) and the policy in words. */
  windowTokens: number;
  rule: string;
}

export interface ModelInfo {
  name: string;
  config: ModelConfig;
  paramCount: number;
  /** The settings that set this architecture apart (rotary fraction, parallel residual, local window, GQA ratio). */
  settings: string[];
  hasTokenizer: boolean;
  backend: BackendName;
  /** Said before loading (memory close to the backend's limit, files that could not be kept offline). */
  warnings?: string[];
}

export interface LoadProgress {
  loadedBytes: number;
  totalBytes: number;
  phase: 'download' | 'weights';
  /** Hub downloads: the file, its bytes so far and in all (0 = unknown), and its rate. */
  file?: string;
  fileLoaded?: number;
  fileTotal?: number;
  bytesPerSecond?: number;
}

export interface TokenView {
  ids: number[];
  tokens: string[];
}

export interface TokenProb {
  id: number;
  token: string;
  prob: number;
  logit: number;
}

export interface PredictRequest {
  /** Token ids, or a vision model's preprocessed image (its classes are then predicted at [CLS]). */
  ids: ModelInput;
  edits?: Edit[];
  k: number;
  /** Position whose next token is predicted; default last. */
  position?: number;
}

export interface Prediction {
  top: TokenProb[];
  /** Full probability vector at the position (transferred). */
  probs: Float32Array;
  /** Full logit vector at the position (transferred): logits, log-probs and ranks of any token, e.g. the target. */
  logits: Float32Array;
}

export type ProgressFn = (done: number, total: number) => void;

/** The logit lens with each hook's top tokens as strings (per position). */
export interface LensUi extends LensResult {
  topTokens: Record<string, string[]>;
}

export interface GenerateUiRequest {
  ids: number[];
  edits: Edit[];
  maxTokens: number;
  sampling?: Sampling | null;
}

export interface GenerateUiResult extends GenerateResult {
  cleanTokens: string[];
  editedTokens: string[];
}

export interface NeuronCardUi extends NeuronCard {
  promptTokens: string[];
  contextTokens: string[][];
  promotedTokens: string[];
  suppressedTokens: string[];
}

/** A contrastive steering vector from two prompt sets, read at a layer's residual stream. */
export interface SteeringVectorUiRequest {
  positive: string[];
  negative: string[];
  layer: number;
  point: ResidPoint;
  /** Per prompt: the mean over its positions or its last position. */
  reduce: 'mean' | 'last';
}

export interface SteeringVectorUi {
  hook: string;
  vector: Float32Array;
  norm: number;
  /** Mean ‖activation‖ over the prompts, to read α against. */
  meanNorm: number;
  positive: number;
  negative: number;
}

export interface SteeringSweepUi extends SteeringSweep {
  /** Each row's continuation as token strings. */
  generatedTokens: string[][];
  /** Each row's most likely next token. */
  topTokens: string[];
  targetToken: string;
}

/**
 * Requests that take a `key` belong to the stream of that name: a newer request with the same key makes an
 * older one still waiting or running reject with an Error named `AbortError` (see client.ts `isSuperseded`),
 * before it starts or between its steps. `null` = never superseded.
 */
export interface EngineApi {
  /** Starts a tfjs backend (default auto: WebGPU → WebGL → WASM → CPU); WASM binaries from `wasmPaths` (default: the app's /wasm/). */
  init(backend?: BackendName | 'auto', wasmPaths?: string): Promise<BackendName>;
  /** Why the backend in use was chosen (a software GPU skipped for WASM, a probe's timings, or the URL). */
  backendReason(): Promise<string>;
  /** Threads the WASM backend runs on (1 for the other backends, or on a page that is not cross-origin isolated). */
  backendThreads(): Promise<number>;
  /** Answers at once: the page's liveness check. */
  ping(): Promise<boolean>;
  /** Test hook: close the worker, abort the wasm module, or destroy the WebGPU device. */
  debugFault(kind: 'close' | 'abort' | 'device'): Promise<void>;
  backend(): Promise<BackendName>;
  loadModel(source: ModelSource, onProgress?: (p: LoadProgress) => void): Promise<ModelInfo>;
  cancelLoad(): Promise<void>;
  /** What the backend in use can hold (the memory check's figures). */
  deviceLimits(): Promise<DeviceLimits>;
  /** Hub models kept in Cache Storage, and deleting one (every revision unless one is named). */
  hubCacheList(): Promise<HubCachedModel[]>;
  hubCacheDelete(endpoint: string, repo: string, revision?: string): Promise<number>;
  /** Tensors alive on the backend (a failed or cancelled load must leave none behind). */
  tensorCount(): Promise<number>;
  tokenize(text: string): Promise<TokenView>;
  tokenStrings(ids: number[]): Promise<string[]>;
  /** Runs the engine; `key` names a stream of requests in which a newer one cancels the older. */
  run(key: string | null, req: RunRequest): Promise<RunResult>;
  predict(key: string | null, req: PredictRequest): Promise<Prediction>;
  /** Decodes a PNG or JPEG and preprocesses it for the loaded vision model; `name` is used in messages. */
  prepareImage(bytes: Uint8Array, name: string): Promise<PreparedImage>;
  /** The k most likely next tokens after `ids` (clean run), without the probability vector. */
  topK(ids: number[], k: number, key?: string | null): Promise<TokenProb[]>;
  cancel(key: string): Promise<void>;
  /** NeuronPath search with baselines (progress: done/total IG runs). */
  path(key: string | null, req: PathRequest, onProgress?: ProgressFn): Promise<PathResult>;
  attribute(key: string | null, req: AttributionRequest, onProgress?: ProgressFn): Promise<AttributionResult>;
  /** Class-level NeuronPath over labelled images (vision models; progress: images done / images), at analysis priority. */
  classPaths(key: string | null, req: ClassPathsUiRequest, onProgress?: ProgressFn): Promise<ClassPathsUi>;
  /**
   * A neuron's top- and bottom-activating images among the bundled examples (vision models): every example run in
   * batches at analysis priority, its layer's activations kept while the model is loaded; empty with a reason when
   * the model has no bundled examples (progress: images done / images).
   */
  topImages(key: string | null, req: TopImagesRequest, onProgress?: ProgressFn): Promise<TopImagesUi>;
  /** The position-resolved attribution graph of the prompt (src/analysis/attribution-graph.ts). */
  attributionGraph(key: string | null, req: AttributionGraphRequest, onProgress?: ProgressFn): Promise<AttributionGraph>;
  /** Activation, attribution or relevance patching over a clean/corrupted pair (src/analysis/patching.ts). */
  patch(key: string | null, req: PatchRequest, onProgress?: ProgressFn): Promise<PatchResult>;
  /**
   * The faithfulness meter (src/analysis/faithfulness-meter.ts): exact patching or zero-ablation of the given nodes
   * against their fast scores. Background priority: it steps aside for predictions and analyses; cancel with its key.
   */
  faithfulnessMeter(key: string | null, req: FaithfulnessMeterRequest, onProgress?: ProgressFn): Promise<FaithfulnessMeterResult>;
  /** Direct logit attribution of every head and neuron at every position (src/analysis/dla.ts). */
  dla(key: string | null, req: DlaRequest): Promise<DlaResult>;
  /** The logit lens of every layer's resid_pre and resid_post, with the top tokens as strings. */
  lens(key: string | null, req: DlaRequest): Promise<LensUi>;
  generate(key: string | null, req: GenerateUiRequest, onProgress?: ProgressFn): Promise<GenerateUiResult>;
  neuronCard(key: string | null, req: { ids: number[]; layer: number; index: number }, onProgress?: ProgressFn): Promise<NeuronCardUi>;
  /** Makes `text` the reference corpus (top contexts, histograms, means for mean ablation) until the next model load. */
  setReference(text: string, name: string): Promise<CorpusInfo>;
  /** The reference corpus in use, or null when the model has none (mean ablation is then unavailable). */
  corpusInfo(): Promise<CorpusInfo | null>;
  /** Gradient × activation edges between the given neurons of consecutive layers (src/analysis/layer-edges.ts). */
  layerEdges(key: string | null, req: Omit<LayerEdgesRequest, 'means'>, onProgress?: ProgressFn): Promise<PathEdge[]>;
  /** mean(residual | positive prompts) − mean(residual | negative prompts) at blocks.L.hook_resid_pre|post. */
  steeringVector(key: string | null, req: SteeringVectorUiRequest, onProgress?: ProgressFn): Promise<SteeringVectorUi>;
  /** Next-token probability of the target and the greedy continuation per steering strength (means for mean edits from the corpus). */
  steeringSweep(key: string | null, req: Omit<SteeringSweepRequest, 'means'>, onProgress?: ProgressFn): Promise<SteeringSweepUi>;
  /** Output direction of an MLP neuron (its row of the MLP output projection). */
  neuronDirection(layer: number, index: number): Promise<Float32Array>;
  /** Mean activation of a hook over the model's reference corpus (for mean ablation). */
  means(hooks: string[]): Promise<Record<string, Float32Array>>;
}
