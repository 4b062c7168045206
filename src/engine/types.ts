/**
 * Plain-data types shared by the engine, analysis, worker, store and session layers.
 * Nothing here holds a tensor: every value can be structured-cloned and put in a URL.
 */

/** A TransformerLens hook name, e.g. `blocks.3.mlp.hook_post`. See hooks.ts for the full list. */
export type HookName = string;

/**
 * What an edit does to the selected units of a hook:
 * - `zero`: set to 0
 * - `clamp`: set to `value`
 * - `scale`: multiply by `value` (-1 flips the sign)
 * - `mean`: set to the unit's mean over a reference text (the run supplies the means)
 * - `add`: add `value` (scalar, to the selected units) or `value` × `vector` (a direction over the
 *   hook's last dimension; `index` must then be null). Residual-stream steering is an `add` edit.
 */
export const EDIT_OPS = ['zero', 'clamp', 'scale', 'mean', 'add'] as const;
export type EditOp = (typeof EDIT_OPS)[number];

export interface Edit {
  hook: HookName;
  /** Neuron / channel index on the hook's unit axis; for attention hooks the head. null = every unit. */
  index: number | null;
  op: EditOp;
  /** clamp: the value; scale: the factor; add: the scalar or the coefficient of `vector`. */
  value?: number;
  /** add only: a direction with the length of the hook's last dimension. */
  vector?: number[];
  /** Token positions edited (query positions for attention patterns); null = all. */
  positions: number[] | null;
}

/** The scalar a gradient run differentiates. */
/**
 * `logit`, `logit_diff` (logit(token) − logit(distractor)) and `logprob` read the next-token prediction at
 * `position`; `activation` reads one unit of a hook (`hook`, `index`) at `position`, for gradients of an
 * internal activation (path edges).
 */
/** Targets read from the next-token prediction (attribution, paths, patching, the workbench). */
export const LOGIT_TARGET_KINDS = ['logit', 'logit_diff', 'logprob'] as const;
export type LogitTargetKind = (typeof LOGIT_TARGET_KINDS)[number];
export const TARGET_KINDS = [...LOGIT_TARGET_KINDS, 'activation'] as const;
export type TargetKind = (typeof TARGET_KINDS)[number];

export interface Target {
  kind: TargetKind;
  /** Position whose next-token prediction is read; -1 or undefined = last position. */
  position?: number;
  token: number;
  /** For `logit_diff`: the distractor token d in logit(t) − logit(d). */
  distractor?: number;
  /** For `activation`: the hook (token layout, e.g. blocks.1.mlp.hook_post) and the unit read; `token` is unused. Capture only hooks that come before it. */
  hook?: HookName;
  index?: number;
}

export interface RunRequest {
  /** B sequences of equal length T (text models; give this or `pixelValues`). */
  inputIds?: number[][];
  /**
   * Vision models: B preprocessed images, [B, C, H, W] channels first (src/engine/image-preprocess.ts); the
   * tokens are [CLS] then the patches in row-major order, T = 1 + patches.
   */
  pixelValues?: TensorData;
  /**
   * Edits: one list applied to every sequence, or one list per sequence (length B).
   * Attribution sweeps pass one edit set per batch element.
   */
  edits?: Edit[] | Edit[][];
  /** Hooks whose values are returned. Gradients are returned for every captured hook when `target` is set. */
  capture?: HookName[];
  /**
   * Target for gradients: d target / d hook for each captured hook, the total derivative through every
   * later layer, on the edited run, with respect to the hook's value as later layers see it (after edits).
   * One target for all sequences, or one per sequence.
   */
  target?: Target | Target[];
  /** Which logits to return: every position (default), the last one only, or none. */
  logits?: 'all' | 'last' | 'none';
  /** Per-hook mean activations over the hook's unit axis (length = hook's unit count), for `mean` edits. */
  means?: Record<HookName, Float32Array | number[]>;
  /**
   * Backward rules of the gradient: `exact` (default) differentiates the forward pass; `lrp` gives relevance
   * coefficients (LN-, AH-, identity and half rules, docs/terminology.md "Relevance rules"). Forward values are
   * the same either way.
   */
  rules?: GradRules;
}

/** How a backward pass treats the nonlinear steps of the block (see RunRequest.rules). */
export type GradRules = 'exact' | 'lrp';

/** A dense row-major array with its shape. */
export interface TensorData {
  shape: number[];
  data: Float32Array;
}

export interface RunResult {
  /** [B, T, V] for 'all', [B, 1, V] for 'last'; absent for 'none'. Vision models: [B, V] (V = labels) for both. */
  logits?: TensorData;
  /** Captured hook values, batch first: e.g. mlp.hook_post → [B, T, d_mlp]. */
  activations: Record<HookName, TensorData>;
  /** Gradients of the target with respect to each captured hook, same shapes as activations. */
  grads: Record<HookName, TensorData>;
  /** The target value per sequence [B], when a target was given. */
  targetValues?: Float32Array;
}

/** The architectures Pathlight runs (Hugging Face `model_type`); one file each under src/engine/arch/. */
export const ARCHITECTURES = ['gpt2', 'gpt_neo', 'gpt_neox', 'llama', 'qwen2', 'vit'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

/** MLP nonlinearities: `gelu_new` is the tanh approximation, `gelu` the exact erf form. */
export const ACTIVATIONS = ['gelu_new', 'gelu', 'relu', 'silu'] as const;
export type Activation = (typeof ACTIVATIONS)[number];

/**
 * The engine's view of a model, the same record for every architecture (see docs/architectures.md). Each
 * architecture file parses its config.json into this; the block reads only these fields.
 */
export interface ModelConfig {
  modelType: Architecture;
  nLayer: number;
  /** Query heads. */
  nHead: number;
  /** Key/value heads (grouped-query attention when below nHead; query head h reads kv head ⌊h·nKvHead/nHead⌋). */
  nKvHead: number;
  dModel: number;
  dHead: number;
  dMlp: number;
  vocabSize: number;
  nCtx: number;
  /** `layernorm`: (x − mean)/sqrt(var + eps)·w + b; `rmsnorm`: x/sqrt(mean(x²) + eps)·w. */
  norm: 'layernorm' | 'rmsnorm';
  layerNormEps: number;
  activation: Activation;
  /** MLP out(act(gate(x)) · in(x)) (SwiGLU) instead of out(act(in(x))). */
  gatedMlp: boolean;
  /** Learned absolute position embeddings (hook_pos_embed), or rotary embeddings on queries and keys. */
  positions: 'learned' | 'rotary';
  /** Features of each query/key head that rotate (rotate-half pairing); 0 without rotary. */
  rotaryDim: number;
  rotaryBase: number;
  /** x + attn(ln1(x)) + mlp(ln2(x)) (no hook_resid_mid) instead of the sequential block. */
  parallelResidual: boolean;
  /** Factor on q·k (1/sqrt(d_head) for most models, 1 for GPT-Neo). */
  attnScale: number;
  /** Per layer: null for global causal attention, w for a local window (query i sees keys i − w < j ≤ i). */
  attnWindows: Array<number | null>;
  /** The unembedding is the token embedding matrix. */
  tiedEmbeddings: boolean;
  /** Which projections carry biases (LayerNorm always has one, RMSNorm never). */
  bias: { qkv: boolean; o: boolean; mlp: boolean };
  /**
   * false for encoders whose attention has no mask (vit): every token sees every token, so fast paths that rely
   * on causality (suffix runs from a position, the key/value cache, the one-position backward pass) step aside.
   * Absent means causal.
   */
  causal?: boolean;
  /** Vision models only: the image input and its classes (vocabSize is then the number of labels). */
  vision?: VisionConfig;
  /**
   * Not part of a checkpoint: the backward rules of one run (RunRequest.rules), set by runModel on a copy of the
   * config so that the block reads them; absent means `exact`.
   */
  rules?: GradRules;
}

/**
 * How an image becomes pixel values, as Hugging Face's slow (PIL) image processor named in preprocessor_config.json
 * computes them (src/engine/image-preprocess.ts): the image converted to the model's channels as PIL's
 * convert("RGB") / convert("L") does, resized to `resize` with PIL's filter `resample` (8-bit), center-cropped to
 * `centerCrop` (8-bit), multiplied by `rescale`, then (x − mean) / std per channel; a step that is null is skipped.
 */
export interface ImageProcessorConfig {
  /** The processor whose defaults and fields these are (AutoImageProcessor's choice: the config's type, else ViT's). */
  processor: 'ViTImageProcessor' | 'DeiTImageProcessor';
  /** `resample` is PIL's filter number: 0 NEAREST, 2 BILINEAR, 3 BICUBIC and 4 BOX are implemented; 1 LANCZOS and 5 HAMMING are refused when a resize is needed. */
  resize: { height: number; width: number; resample: number } | null;
  /** Hugging Face's center_crop: top = (H − height) // 2, left = (W − width) // 2, zero padding where the image is smaller. */
  centerCrop: { height: number; width: number } | null;
  rescale: number | null;
  normalize: { mean: number[]; std: number[] } | null;
}

/** A vision transformer's input: images of `imageSize` cut into patchSize² patches, and its classes. */
export interface VisionConfig {
  /** [height, width] the model takes. */
  imageSize: [number, number];
  patchSize: number;
  channels: number;
  /** Patches per column and per row: tokens are [CLS] then grid[0]·grid[1] patches, row-major. */
  grid: [number, number];
  /** Class names by index (config.json `id2label`); their number is the model's vocabSize. */
  labels: string[];
  /** From preprocessor_config.json when the model has one, else ViTImageProcessor's defaults at imageSize (no crop). */
  preprocess: ImageProcessorConfig;
}

/** Whether a model's attention is causal (every text model; not vision encoders). */
export const isCausal = (cfg: Pick<ModelConfig, 'causal'>): boolean => cfg.causal !== false;
