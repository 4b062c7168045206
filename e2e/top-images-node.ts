/**
 * For e2e/vision-top-images.spec.ts: every bundled example of digits-vit run alone by the engine in Node (wasm), and
 * for neuron N of blocks.L.mlp.hook_post each image's max over tokens, its token and its [CLS] value, as
 * [{ id, value, token, cls }] on stdout (index order).
 * Usage: npx tsx e2e/top-images-node.ts LAYER NEURON
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadImageFile } from '../src/engine/image-node';
import { loadModelDir } from '../src/engine/node-load';
import { runModel } from '../src/engine/run';

const [layer, neuron] = process.argv.slice(2).map(Number);
const dir = join(process.cwd(), 'public/models/digits-vit/examples');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { images: Array<{ id: string; file: string; label: number }> };
await tf.setBackend('wasm');
const model = await loadModelDir('digits-vit');
const hook = `blocks.${layer}.mlp.hook_post`;
const out = [];
for (const e of index.images) {
  const px = await loadImageFile(join(dir, e.file), model.config);
  const r = await runModel(model, { pixelValues: { shape: [1, ...px.shape], data: px.data }, capture: [hook], logits: 'none' });
  const [, T, D] = r.activations[hook].shape;
  const col = Array.from({ length: T }, (_, t) => r.activations[hook].data[t * D + neuron]);
  const value = Math.max(...col);
  out.push({ id: e.id, value, token: col.indexOf(value), cls: col[0] });
}
process.stdout.write(JSON.stringify(out));
model.dispose();
