/**
 * The architecture interface: what one file under src/engine/arch/ provides so the engine can run a model family.
 * docs/architectures.md describes it and the canonical layout, with the steps to add an architecture.
 */
import type { Architecture, ModelConfig } from '../types';

/** A dense float32 array with its shape (row-major). */
export interface Arr {
  data: Float32Array;
  shape: number[];
}

/** A linear map in the canonical layout: weight [in, out] (x · W + b), bias optional. */
export interface LinearArrays {
  weight: Arr;
  bias?: Arr;
}

export interface NormArrays {
  weight: Arr;
  bias?: Arr;
}

/**
 * One block in the canonical layout. `qkv` is the fused query/key/value projection [D, (H + 2·H_kv)·d_head] with
 * columns: every query head, then every key head, then every value head (d_head each, head-major). `o` is
 * [H·d_head, D]. The MLP: `in` [D, M] feeds `mlp.hook_pre` (or `mlp.hook_pre_linear` when gated), `gate` [D, M]
 * feeds `mlp.hook_pre` of a gated MLP, `out` [M, D] reads `mlp.hook_post`.
 */
export interface BlockArrays {
  ln1: NormArrays;
  ln2: NormArrays;
  qkv: LinearArrays;
  o: LinearArrays;
  in: LinearArrays;
  gate?: LinearArrays;
  out: LinearArrays;
}

/**
 * Embeddings, final norm and unembedding in the canonical layout (embed [V, D], pos [n_ctx, D], unembed [V, D]).
 * Vision models: embed is the patch projection [C·p·p, D] with embedBias [D], cls the [CLS] embedding [1, D],
 * unembed the classifier [labels, D] with unembedBias [labels].
 */
export interface GlobalArrays {
  embed: Arr;
  embedBias?: Arr;
  cls?: Arr;
  pos?: Arr;
  lnFinal: NormArrays;
  /** Absent when tied to `embed`. */
  unembed?: Arr;
  unembedBias?: Arr;
}

/** Reads checkpoint tensors by their name with the architecture's prefix removed; shapes were checked already. */
export type TensorGetter = (key: string) => Promise<Arr>;

/** The fields of a parsed config.json, read with messages that name the field. */
export interface ConfigFields {
  raw: Record<string, unknown>;
  posInt(key: string, fallback?: number): number;
  /** A layer count: a positive integer up to MAX_LAYERS. */
  layers(key: string): number;
  /** A positive integer, or `fallback` when the field is absent or null. */
  optInt(key: string, fallback: number): number;
  positive(key: string, fallback?: number): number;
  fraction(key: string, fallback?: number): number;
  bool(key: string, fallback: boolean): boolean;
  /** The first of `keys` present (not null/undefined), else undefined. */
  first(...keys: string[]): unknown;
}

export interface ArchitectureSpec {
  modelType: Architecture;
  /** Name prefixes that checkpoints put before the tensor names (`transformer.`, `model.`); removed before lookup. */
  prefixes: string[];
  /** Buffers some checkpoints carry that are not parameters (causal-mask `attn.bias`, `rotary_emb.inv_freq`). */
  isBuffer(key: string): boolean;
  /** Parses and validates config.json; refuses, naming the field, any setting the engine does not implement. */
  parseConfig(c: ConfigFields): ModelConfig;
  /**
   * Every checkpoint tensor this config needs (prefix removed) with its shape in the file. `has` tells which
   * optional tensors (an untied unembedding) the checkpoint holds.
   */
  tensors(cfg: ModelConfig, has: (key: string) => boolean): Array<[string, number[]]>;
  /** Embeddings, final norm and unembedding, converted to the canonical layout. */
  globals(cfg: ModelConfig, get: TensorGetter, has: (key: string) => boolean): Promise<GlobalArrays>;
  /** Block `l`, converted to the canonical layout. */
  block(cfg: ModelConfig, l: number, get: TensorGetter): Promise<BlockArrays>;
  /** The settings that set this model apart, for the model header (e.g. "rotary 25% of d_head", "parallel residual"). */
  describe(cfg: ModelConfig): string[];
}
