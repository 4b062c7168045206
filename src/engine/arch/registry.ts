/** Every architecture the engine runs, by Hugging Face `model_type`: one line each. */
import { fail } from '../errors';
import { ARCHITECTURES, type Architecture } from '../types';
import { gpt2 } from './gpt2';
import { gptNeo } from './gpt-neo';
import { gptNeox } from './gpt-neox';
import { llama } from './llama';
import { qwen2 } from './qwen2';
import { vit } from './vit';
import type { ArchitectureSpec } from './types';

const REGISTRY: Record<Architecture, ArchitectureSpec> = {
  gpt2,
  gpt_neo: gptNeo,
  gpt_neox: gptNeox,
  llama,
  qwen2,
  vit,
};

export function architecture(modelType: unknown): ArchitectureSpec {
  if (typeof modelType === 'string' && (ARCHITECTURES as readonly string[]).includes(modelType)) return REGISTRY[modelType as Architecture];
  return fail(`config.json: model_type ${JSON.stringify(modelType)} is not supported; Pathlight runs ${ARCHITECTURES.map((a) => `"${a}"`).join(', ')}`);
}
