/** The bundled models and where models are served from. */
/** The model loaded when the URL names none; decided at build time in vite.config.ts (polyglot once bundled). */
export const DEFAULT_MODEL: string = import.meta.env.VITE_DEFAULT_MODEL ?? 'gpt2-tiny';

export interface BundledModel {
  name: string;
  description: string;
  /** Text models: the prompt it opens with. Vision models take an image instead (its bundled examples, below). */
  samplePrompt: string;
  /** Vision models: example images in public/models/NAME/examples/ (index.json: id, file, label, predicted). */
  examples?: boolean;
}

/** Listed in the model picker; each lives in public/models/NAME/. */
export const BUNDLED_MODELS: BundledModel[] = [
  { name: 'polyglot', description: 'Character-level GPT-2 (4 layers) trained on English, German, Spanish and Italian fortunes', samplePrompt: 'Der Hund ist ' },
  { name: 'induction', description: 'Two-layer GPT-2 trained to continue repeated spans (previous-token head L0.H0, induction heads in layer 1)', samplePrompt: 'qXf3Kd9LmPzR2wqXf3Kd9' },
  { name: 'gpt2-tiny', description: 'Random-weight GPT-2 test fixture (2 layers, byte-level tokens)', samplePrompt: 'The cat sat on the' },
  { name: 'gptneo-tiny', description: 'Random-weight GPT-Neo test fixture (2 layers, global + local attention, unscaled scores)', samplePrompt: 'The cat sat on the' },
  { name: 'pythia-tiny', description: 'Random-weight GPT-NeoX (Pythia) test fixture (2 layers, partial rotary, parallel residual)', samplePrompt: 'The cat sat on the' },
  { name: 'digits-vit', description: 'Vision transformer (4 layers, 7×7 patches) trained on MNIST digits: 28×28 grayscale images, 10 classes', samplePrompt: '', examples: true },
  { name: 'llama-tiny', description: 'Random-weight Llama test fixture (2 layers, RMSNorm, rotary, SwiGLU, grouped-query attention)', samplePrompt: 'The cat sat on the' },
];

export function modelBaseUrl(name: string): string {
  return `${import.meta.env.BASE_URL}models/${encodeURIComponent(name)}/`;
}

export function wasmBaseUrl(): string {
  return new URL(`${import.meta.env.BASE_URL}wasm/`, location.href).href;
}
