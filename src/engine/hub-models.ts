/**
 * The curated picker: small models interpretability researchers study, each with its architecture, parameter
 * count and download size. Pure data (no DOM, no Node, no tfjs).
 *
 * Figures are APPROXIMATE, from general knowledge of these checkpoints (not measured here): parameters include
 * the embeddings (a tied unembedding counted once); `f32`/`f16` are those parameters at 4 / 2 bytes; `download`
 * is the safetensors file as the repository stores it (`stored`). Pathlight holds every weight as float32 on
 * the backend, whatever the stored type.
 *
 * Revisions: pinning a commit hash needs the hub, which this list was written without. Every entry says "main"
 * until a hash is known; replace it with the 40-hex commit to pin the files a session's numbers came from.
 */
import { DEFAULT_REVISION, type HubRef } from './hub';

export interface CuratedModel {
  /** `owner/name` on the hub. */
  repo: string;
  /** Pinned revision ("main" where no commit hash could be looked up; see the file comment). */
  revision: string;
  /** config.json `model_type` (`vit`: an image classifier, which opens in the workbench's image mode). */
  modelType: 'gpt2' | 'gpt_neo' | 'gpt_neox' | 'llama' | 'qwen2' | 'vit';
  family: string;
  /** Approximate number of parameters. */
  params: number;
  /** Approximate bytes of the checkpoint as stored (what is downloaded). */
  download: number;
  stored: 'float32' | 'float16' | 'bfloat16';
  /**
   * The largest tensor's shape (what a WebGPU buffer limit meets first): a language model's token embedding
   * [vocab, width]; for an image classifier whichever of the classifier [labels, width], an MLP weight
   * [4·width, width] or the patch embedding is largest, named by `largestName`.
   */
  embedding: [number, number];
  /** What `embedding` is, for messages (absent: the token embedding). */
  largestName?: string;
  note: string;
}

const M = 1e6;
const gb = (p: number, bytes: number) => Math.round(p * bytes);

function entry(repo: string, modelType: CuratedModel['modelType'], family: string, params: number, stored: CuratedModel['stored'], embedding: [number, number], note: string, largestName?: string): CuratedModel {
  return { repo, revision: DEFAULT_REVISION, modelType, family, params, download: gb(params, stored === 'float32' ? 4 : 2), stored, embedding, ...(largestName ? { largestName } : {}), note };
}

export const CURATED_MODELS: CuratedModel[] = [
  entry('openai-community/gpt2', 'gpt2', 'GPT-2', 124 * M, 'float32', [50257, 768], 'GPT-2 small: 12 layers, 768 wide; the most studied model (IOI, induction heads)'),
  entry('distilbert/distilgpt2', 'gpt2', 'GPT-2', 82 * M, 'float32', [50257, 768], 'distilled GPT-2: 6 layers, 768 wide'),
  entry('openai-community/gpt2-medium', 'gpt2', 'GPT-2', 355 * M, 'float32', [50257, 1024], 'GPT-2 medium: 24 layers, 1024 wide'),
  entry('EleutherAI/pythia-14m', 'gpt_neox', 'Pythia', 14 * M, 'float16', [50304, 128], 'Pythia 14m: 6 layers, 128 wide'),
  entry('EleutherAI/pythia-70m', 'gpt_neox', 'Pythia', 70 * M, 'float16', [50304, 512], 'Pythia 70m: 6 layers, 512 wide'),
  entry('EleutherAI/pythia-160m', 'gpt_neox', 'Pythia', 162 * M, 'float16', [50304, 768], 'Pythia 160m: 12 layers, 768 wide'),
  entry('EleutherAI/pythia-410m', 'gpt_neox', 'Pythia', 405 * M, 'float16', [50304, 1024], 'Pythia 410m: 24 layers, 1024 wide'),
  entry('roneneldan/TinyStories-1M', 'gpt_neo', 'TinyStories', 3.7 * M, 'float32', [50257, 64], 'TinyStories 1M (+ 3.2M embedding): 8 layers, 64 wide'),
  entry('roneneldan/TinyStories-8M', 'gpt_neo', 'TinyStories', 19.7 * M, 'float32', [50257, 256], 'TinyStories 8M (+ embedding): 8 layers, 256 wide'),
  entry('roneneldan/TinyStories-33M', 'gpt_neo', 'TinyStories', 68.5 * M, 'float32', [50257, 768], 'TinyStories 33M (+ embedding): 4 layers, 768 wide'),
  entry('HuggingFaceTB/SmolLM2-135M', 'llama', 'SmolLM2', 135 * M, 'bfloat16', [49152, 576], 'SmolLM2 135M: 30 layers, 576 wide, grouped-query attention'),
  entry('HuggingFaceTB/SmolLM2-360M', 'llama', 'SmolLM2', 362 * M, 'bfloat16', [49152, 960], 'SmolLM2 360M: 32 layers, 960 wide, grouped-query attention'),
  entry('Qwen/Qwen2.5-0.5B', 'qwen2', 'Qwen2.5', 494 * M, 'bfloat16', [151936, 896], 'Qwen2.5 0.5B: 24 layers, 896 wide, q/k/v biases'),
  // Image classifiers (ImageNet-1k, 224×224, 16×16 patches → 196 patches + [CLS]): ViTForImageClassification
  // checkpoints, preprocessed as their preprocessor_config.json says (DeiT: resize 256 bicubic, center crop 224).
  entry('facebook/deit-tiny-patch16-224', 'vit', 'ViT/DeiT', 5.7 * M, 'float32', [1000, 192], 'DeiT tiny: 12 layers, 192 wide, 3 heads, 768 neurons per layer; ImageNet-1k classes; resize 256 bicubic, center crop 224', 'the classifier'),
  entry('facebook/deit-small-patch16-224', 'vit', 'ViT/DeiT', 22 * M, 'float32', [1536, 384], 'DeiT small: 12 layers, 384 wide, 6 heads, 1536 neurons per layer; ImageNet-1k classes; resize 256 bicubic, center crop 224', 'an MLP weight'),
  entry('google/vit-base-patch16-224', 'vit', 'ViT/DeiT', 86 * M, 'float32', [3072, 768], 'ViT-B/16: 12 layers, 768 wide, 12 heads, 3072 neurons per layer; ImageNet-21k pre-training, ImageNet-1k classes; resize 224 bilinear', 'an MLP weight'),
];

/** The largest tensor of a curated model, for the memory check (estimateFromParams). */
export function curatedLargest(m: CuratedModel): { name: string; elements: number } {
  return { name: m.largestName ?? 'the token embedding', elements: m.embedding[0] * m.embedding[1] };
}

export function curatedRef(m: CuratedModel): HubRef {
  const [owner, name] = m.repo.split('/');
  return { owner, name, revision: m.revision };
}

export function findCurated(repo: string): CuratedModel | undefined {
  const r = repo.toLowerCase();
  return CURATED_MODELS.find((m) => m.repo.toLowerCase() === r);
}

/** Float32 bytes on the backend of a parameter count (the engine converts every stored type to float32). */
export function f32Bytes(params: number): number {
  return params * 4;
}

export function f16Bytes(params: number): number {
  return params * 2;
}
