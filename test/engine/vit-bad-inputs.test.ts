import * as tf from '@tensorflow/tfjs';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { generate } from '../../src/analysis/generate';
import { bytesSource } from '../../src/engine/bytes';
import { PathlightError } from '../../src/engine/errors';
import { loadModel, type Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { encodeSafetensors, type NamedTensor } from '../../src/engine/safetensors-write';
import type { RunRequest } from '../../src/engine/types';
import { fixtureDir } from './arch-fixtures';
import { referenceBatch, referencePixels, VIT_DIR, vitReference } from './vit-fixture';

const configText = readFileSync(join(VIT_DIR, 'config.json'), 'utf8');
const bytes = new Uint8Array(readFileSync(join(VIT_DIR, 'model.safetensors')));

/** The fixture's tensors (all F32), to rebuild checkpoints with one changed. */
function fixtureTensors(): NamedTensor[] {
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  return Object.entries(header)
    .filter(([k]) => k !== '__metadata__')
    .map(([name, v]) => {
      const { shape, data_offsets: [b, e] } = v as { shape: number[]; data_offsets: [number, number] };
      return { name, shape, data: new Float32Array(bytes.slice(8 + len + b, 8 + len + e).buffer) };
    });
}
const checkpoint = (edit: (t: NamedTensor[]) => NamedTensor[]) => encodeSafetensors(edit(fixtureTensors()));
const configWith = (fields: Record<string, unknown>) => JSON.stringify({ ...JSON.parse(configText), ...fields });

const FILE_CASES: Array<{ name: string; config?: string; safetensors?: Uint8Array; message: RegExp }> = [
  { name: 'missing tensor', safetensors: checkpoint((t) => t.filter((x) => x.name !== 'classifier.bias')), message: /tensor "classifier\.bias" is missing \(expected shape \[10\]/ },
  {
    name: 'wrong shape',
    safetensors: checkpoint((t) => t.map((x) => (x.name === 'vit.embeddings.position_embeddings' ? { ...x, shape: [1, 16, 48], data: x.data.subarray(0, 16 * 48) } : x))),
    message: /tensor "vit\.embeddings\.position_embeddings" has shape \[1, 16, 48\] but config\.json implies \[1, 17, 48\]/,
  },
  { name: 'image_size not divisible by patch_size', config: configWith({ image_size: 30 }), message: /"image_size" 30 \(height\) is not divisible by "patch_size" 8/ },
  { name: 'unknown hidden_act', config: configWith({ hidden_act: 'gelu_fancy' }), message: /"hidden_act" is "gelu_fancy", which is not supported/ },
  { name: 'non-square patches', config: configWith({ patch_size: [8, 4] }), message: /"patch_size" \[8, 4\] is not square/ },
  { name: 'id2label with a gap', config: configWith({ id2label: { 0: 'a', 2: 'c' } }), message: /"id2label" has the key "2"; keys must be the class indices 0\.\.1/ },
  { name: 'num_labels against id2label', config: configWith({ num_labels: 7 }), message: /"num_labels" 7 differs from the 10 classes of "id2label"/ },
  { name: 'bad preprocessor mean', message: /"image_std" must hold 3 numbers/ },
];

describe('vit: bad files are refused with their own message', () => {
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });
  it.each(FILE_CASES)('$name', async (c) => {
    const before = tf.memory().numTensors;
    const pre = c.name === 'bad preprocessor mean' ? { image_std: [0.5] } : null;
    const err = await loadModel({ config: c.config ?? configText, safetensors: bytesSource(c.safetensors ?? bytes), preprocessor: pre }).then(
      (m) => (m.dispose(), null),
      (e) => e,
    );
    expect(err).toBeInstanceOf(PathlightError);
    expect(err.message).toMatch(c.message);
    expect(tf.memory().numTensors).toBe(before);
  });
  it('messages are distinct', () => expect(new Set(FILE_CASES.map((c) => c.message.source)).size).toBe(FILE_CASES.length));
});

describe('vit: bad requests are refused with their own message', () => {
  const ref = vitReference();
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('cpu');
    model = await loadModel({ config: configText, safetensors: bytesSource(bytes) });
  });
  const px = (shape: number[]) => ({ shape, data: new Float32Array(shape.reduce((a, b) => a * b, 1)) });
  const cases: Array<[string, RunRequest, RegExp]> = [
    ['token ids instead of pixels', { inputIds: [[1, 2, 3]] }, /classifies images: give pixelValues, not inputIds/],
    ['no input', {}, /pixelValues: the images \[B, C, H, W\] are needed/],
    ['wrong channel count', { pixelValues: px([1, 1, 32, 32]) }, /pixelValues has 1 channels; the model takes 3/],
    ['wrong image size', { pixelValues: px([1, 3, 28, 28]) }, /pixelValues is 28×28 pixels; the model takes 32×32/],
    ['no batch axis', { pixelValues: px([3, 32, 32]) }, /pixel values must be \[batch, channels, height, width\]/],
    ['data of the wrong length', { pixelValues: { shape: [1, 3, 32, 32], data: new Float32Array(10) } }, /10 values for the shape \[1, 3, 32, 32\]/],
    ['a NaN pixel', { pixelValues: { shape: [1, 3, 32, 32], data: new Float32Array(3072).fill(NaN) } }, /value NaN at flat index 0 is not finite/],
    ['a target away from [CLS]', { pixelValues: referenceBatch(ref), capture: ['hook_embed'], target: { kind: 'logit', token: 1, position: 5 } }, /classes are read at the \[CLS\] token, position 0/],
    ['a class out of range', { pixelValues: referenceBatch(ref), capture: ['hook_embed'], target: { kind: 'logit', token: 10 } }, /target class 10 is outside the model's classes \(0\.\.9\)/],
    ['an edit past the last patch', { pixelValues: referenceBatch(ref), edits: [{ hook: 'blocks.0.mlp.hook_post', index: 1, op: 'zero', positions: [17] }] }, /position 17 is outside the prompt \(0\.\.16\)/],
  ];
  it.each(cases)('%s', async (_name, req, message) => {
    const err = await runModel(model, req).then(() => null, (e) => e);
    expect(err).toBeInstanceOf(PathlightError);
    expect(err.message).toMatch(message);
  });
  it('a text model given an image, and generation from a vit, are refused', async () => {
    await expect(generate(model, { inputIds: [1], edits: [], maxTokens: 2 })).rejects.toThrow(/classifies images; it does not generate text/);
    await expect(attribute(model, { ids: [1, 2], target: { kind: 'logit', token: 1 }, method: 'gxa' })).rejects.toThrow(/classifies images: give pixel values \(an image\), not token ids/);
    await expect(attribute(model, { ids: referencePixels(ref), target: { kind: 'logit', token: 1, position: 3 }, method: 'gxa' })).rejects.toThrow(/read at the \[CLS\] token, position 0/);
    const text = await loadModelDir(fixtureDir('gpt2-tiny'));
    try {
      await expect(runModel(text, { pixelValues: referenceBatch(ref) })).rejects.toThrow(/this gpt2 model reads token ids: give inputIds, not pixelValues/);
      await expect(attribute(text, { ids: referencePixels(ref), target: { kind: 'logit', token: 1 }, method: 'gxa' })).rejects.toThrow(/this gpt2 model reads token ids, not an image/);
    } finally {
      text.dispose();
    }
  });
});
