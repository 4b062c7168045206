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
  /** config.json `model_type`. */
  modelType: 'gpt2' | 'gpt_neo' | 'gpt_neox' | 'llama' | 'qwen2';
  family: string;
  /** Approximate number of parameters. */
  params: number;
  /** Approximate bytes of the checkpoint as stored (what is downloaded). */
  download: number;
  stored: 'float32' | 'float16' | 'bfloat16';
  /** The token embedding's shape [vocab, width]: the largest tensor (what a WebGPU buffer limit meets first). */
  embedding: [number, number];
  note: string;
}

const M = 1e6;
const gb = (p: number, bytes: number) => Math.round(p * bytes);

function entry(repo: string, modelType: CuratedModel['modelType'], family: string, params: number, stored: CuratedModel['stored'], embedding: [number, number], note: string): CuratedModel {
  return { repo, revision: DEFAULT_REVISION, modelType, family, params, download: gb(params, stored === 'float32' ? 4 : 2), stored, embedding, note };
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
];

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
