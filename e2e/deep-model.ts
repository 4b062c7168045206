/** A random GPT-2-shaped checkpoint of many layers, made in the test (never committed), served by page.route. */
import type { Page } from '@playwright/test';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeSafetensors, type NamedTensor } from '../src/engine/safetensors-write';

export function deepCheckpoint(nLayer: number, nHead: number, d: number, vocab = 512, nCtx = 64): { config: string; weights: Uint8Array } {
  let s = 12345;
  const rand = () => {
    s = (s * 1103515245 + 12345) % 2 ** 31;
    return s / 2 ** 31 - 0.5;
  };
  const t = (name: string, shape: number[], scale: number, fill?: number): NamedTensor => {
    const n = shape.reduce((a, b) => a * b, 1);
    return { name, shape, data: Float32Array.from({ length: n }, () => (fill ?? rand() * scale)) };
  };
  const tensors: NamedTensor[] = [t('transformer.wte.weight', [vocab, d], 0.5), t('transformer.wpe.weight', [nCtx, d], 0.2)];
  for (let l = 0; l < nLayer; l++) {
    const p = `transformer.h.${l}.`;
    tensors.push(
      t(`${p}ln_1.weight`, [d], 0, 1), t(`${p}ln_1.bias`, [d], 0, 0),
      t(`${p}attn.c_attn.weight`, [d, 3 * d], 0.4), t(`${p}attn.c_attn.bias`, [3 * d], 0.1),
      t(`${p}attn.c_proj.weight`, [d, d], 0.2), t(`${p}attn.c_proj.bias`, [d], 0.05),
      t(`${p}ln_2.weight`, [d], 0, 1), t(`${p}ln_2.bias`, [d], 0, 0),
      t(`${p}mlp.c_fc.weight`, [d, 4 * d], 0.4), t(`${p}mlp.c_fc.bias`, [4 * d], 0.1),
      t(`${p}mlp.c_proj.weight`, [4 * d, d], 0.2), t(`${p}mlp.c_proj.bias`, [d], 0.05),
    );
  }
  tensors.push(t('transformer.ln_f.weight', [d], 0, 1), t('transformer.ln_f.bias', [d], 0, 0));
  const config = JSON.stringify({ model_type: 'gpt2', n_layer: nLayer, n_head: nHead, n_embd: d, n_inner: 4 * d, vocab_size: vocab, n_positions: nCtx, activation_function: 'gelu_new', layer_norm_epsilon: 1e-5 });
  return { config, weights: encodeSafetensors(tensors) };
}

/** Serves the checkpoint (with gpt2-tiny's byte-level tokenizer) at /test-models/NAME/ on the page's origin. */
export async function serveDeepModel(page: Page, name: string, nLayer: number, nHead: number, d: number): Promise<string> {
  const { config, weights } = deepCheckpoint(nLayer, nHead, d);
  const tokenizer = readFileSync(join(import.meta.dirname, '..', 'public', 'models', 'gpt2-tiny', 'tokenizer.json'));
  await page.route(`**/test-models/${name}/*`, (route) => {
    const file = new URL(route.request().url()).pathname.split('/').pop();
    if (file === 'config.json') return route.fulfill({ body: config, contentType: 'application/json' });
    if (file === 'tokenizer.json') return route.fulfill({ body: tokenizer, contentType: 'application/json' });
    if (file === 'model.safetensors') return route.fulfill({ body: Buffer.from(weights), contentType: 'application/octet-stream' });
    return route.fulfill({ status: 404, body: 'not found' });
  });
  return `/test-models/${name}/`;
}
