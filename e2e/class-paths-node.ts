/**
 * For e2e/vision-classes.spec.ts: the NeuronPath of the first PER_CLASS bundled examples of each digit (index order),
 * found by the engine in Node (wasm) with STEPS steps at every token, as { image id: node ids } on stdout.
 * Usage: npx tsx e2e/class-paths-node.ts PER_CLASS STEPS
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { classPaths } from '../src/analysis/class-paths';
import { loadImageFile } from '../src/engine/image-node';
import { loadModelDir } from '../src/engine/node-load';

const [perClass, steps] = process.argv.slice(2).map(Number);
const dir = join(process.cwd(), 'public/models/digits-vit/examples');
const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8')) as { images: Array<{ id: string; file: string; label: number }> };
await tf.setBackend('wasm');
const model = await loadModelDir('digits-vit');
const taken = new Map<number, number>();
const chosen = index.images.filter((e) => {
  const n = taken.get(e.label) ?? 0;
  taken.set(e.label, n + 1);
  return n < perClass;
});
const images = await Promise.all(chosen.map(async (e) => ({ id: e.id, label: e.label, pixels: await loadImageFile(join(dir, e.file), model.config) })));
const r = await classPaths(model, images, { steps, resamples: 10 });
process.stdout.write(JSON.stringify(Object.fromEntries(r.images.map((i) => [i.id, i.paths.neuronpath]))));
model.dispose();
