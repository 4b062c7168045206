import { configFields } from './arch/config-fields';
import { architecture } from './arch/registry';
import type { ArchitectureSpec } from './arch/types';
import { fail } from './errors';
import type { ModelConfig } from './types';

export { gpt2HfConfig as toHfConfig } from './arch/gpt2';

/** Parses a Hugging Face config.json (text or object) with its architecture's parser; returns both. */
export function parseConfigWithArch(input: string | object): { config: ModelConfig; arch: ArchitectureSpec } {
  let raw: unknown = input;
  if (typeof input === 'string') {
    try {
      raw = JSON.parse(input);
    } catch {
      fail('config.json is not valid JSON');
    }
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) fail('config.json must hold a JSON object');
  const arch = architecture((raw as Record<string, unknown>).model_type);
  return { config: arch.parseConfig(configFields(raw as Record<string, unknown>)), arch };
}

/** Parses a Hugging Face config.json (text or object) into the engine's config. */
export function parseConfig(input: string | object): ModelConfig {
  return parseConfigWithArch(input).config;
}
