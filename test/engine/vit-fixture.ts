/** The vit-tiny fixture (a copy of ../shared/fixtures/vit-tiny): an image classifier with PyTorch reference numbers. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PixelValues } from '../../src/engine/inputs';
import type { Edit } from '../../src/engine/types';
import { fixtureDir } from './arch-fixtures';
import type { Dense } from './fixture';

export const VIT_DIR = fixtureDir('vit-tiny');

export interface VitReference {
  pixel_values: Dense;
  raw_image_uint8: Dense;
  target: { class: number };
  logits: Dense;
  activations: Record<string, Dense>;
  grad_target_logit_wrt_mlp_post: Record<string, Dense>;
  interventions: Array<{
    edits: Array<{ hook: string; neuron: number; kind: 'zero' | 'clamp' | 'scale'; value: number | null; position: number | null }>;
    logits: number[];
  }>;
  layer_ig: { hook: string; steps: number; target_logit: number; baseline_logit: number; attributions: Dense };
}

export const vitReference = (): VitReference => JSON.parse(readFileSync(join(VIT_DIR, 'reference.json'), 'utf8'));

/** The reference's pixel values as one image [C, H, W]. */
export const referencePixels = (ref: VitReference): PixelValues => ({ shape: ref.pixel_values.shape, data: Float32Array.from(ref.pixel_values.data) });

/** The reference's pixel values as a batch of n copies [n, C, H, W]. */
export function referenceBatch(ref: VitReference, n = 1): PixelValues {
  const one = ref.pixel_values.data;
  const data = new Float32Array(n * one.length);
  for (let b = 0; b < n; b++) data.set(one, b * one.length);
  return { shape: [n, ...ref.pixel_values.shape], data };
}

export function vitEdits(ref: VitReference): Edit[][] {
  return ref.interventions.map((c) => c.edits.map((e) => ({ hook: e.hook, index: e.neuron, op: e.kind, value: e.value ?? undefined, positions: e.position === null ? null : [e.position] })));
}
