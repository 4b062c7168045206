import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { vitShapes } from '../../src/engine/arch/vit';
import { bytesSource } from '../../src/engine/bytes';
import { parseConfig } from '../../src/engine/config';
import { loadModel } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { encodeSafetensors } from '../../src/engine/safetensors-write';
import { Rng } from '../../src/analysis/rng';
import { worstRel } from './fixture';

/**
 * Other sizes than the fixture's: a one-channel, rectangular (24 high × 16 wide, patch 4) ViT with random weights.
 * The patch embedding (unfolded patches times the projection) is checked against tfjs's own conv2d with
 * kernel = stride = patch, and the token order against the grid (token 1 + r·(W/p) + c).
 */
describe('vit on one channel and a rectangular image', () => {
  const config = {
    model_type: 'vit', hidden_size: 8, num_hidden_layers: 1, num_attention_heads: 2, intermediate_size: 16,
    hidden_act: 'gelu', image_size: [24, 16], patch_size: 4, num_channels: 1, qkv_bias: false, id2label: { 0: 'a', 1: 'b', 2: 'c' },
  };
  const cfg = parseConfig(config);
  const rng = new Rng(7);
  const tensors = vitShapes(cfg).map(([name, shape]) => ({
    name: name.startsWith('classifier') ? name : `vit.${name}`,
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rng.next() - 0.5),
  }));
  const pixels = Float32Array.from({ length: 24 * 16 }, () => 2 * rng.next() - 1);
  beforeAll(async () => {
    await tf.setBackend('cpu');
  });

  it('reads the sizes: a 6 × 4 grid, 25 tokens, 3 labels, no q/k/v biases', () => {
    expect(cfg.vision).toMatchObject({ imageSize: [24, 16], patchSize: 4, channels: 1, grid: [6, 4], labels: ['a', 'b', 'c'] });
    expect([cfg.nCtx, cfg.vocabSize, cfg.bias.qkv]).toEqual([25, 3, false]);
    expect(vitShapes(cfg).some(([n]) => n.endsWith('query.bias'))).toBe(false);
  });

  it('hook_embed is [CLS; conv2d(image) + bias] in row-major patch order; logits are [1, 3]', async () => {
    const model = await loadModel({ config, safetensors: bytesSource(encodeSafetensors(tensors)) });
    try {
      const r = await runModel(model, { pixelValues: { shape: [1, 1, 24, 16], data: pixels }, capture: ['hook_embed', 'blocks.0.attn.hook_pattern'] });
      expect(r.logits!.shape).toEqual([1, 3]);
      expect(r.activations['blocks.0.attn.hook_pattern'].shape).toEqual([1, 2, 25, 25]);
      const get = (n: string) => tensors.find((t) => t.name === n)!;
      const w = get('vit.embeddings.patch_embeddings.projection.weight'); // [D, C, p, p]
      const b = get('vit.embeddings.patch_embeddings.projection.bias');
      const expected = tf.tidy(() => {
        const x = tf.tensor4d(pixels, [1, 24, 16, 1]); // NHWC
        const filter = tf.transpose(tf.tensor4d(w.data, [8, 1, 4, 4]), [2, 3, 1, 0]); // [p, p, C, D]
        const conv = tf.add(tf.conv2d(x, filter as tf.Tensor4D, 4, 'valid'), tf.tensor1d(b.data)); // [1, 6, 4, D]
        return tf.concat([tf.tensor2d(get('vit.embeddings.cls_token').data, [1, 8]), tf.reshape(conv, [24, 8])], 0).dataSync();
      });
      expect(worstRel(r.activations.hook_embed.data, expected)).toBeLessThan(1e-6);
      // Patch (r = 2, c = 3) is token 1 + 2·4 + 3 = 12: its embedding moves when only that patch's pixels change.
      const moved = pixels.slice();
      for (let y = 8; y < 12; y++) for (let x = 12; x < 16; x++) moved[y * 16 + x] += 1;
      const r2 = await runModel(model, { pixelValues: { shape: [1, 1, 24, 16], data: moved }, capture: ['hook_embed'] });
      const changed = Array.from({ length: 25 }, (_, t) => r2.activations.hook_embed.data.subarray(t * 8, t * 8 + 8).some((v, i) => v !== r.activations.hook_embed.data[t * 8 + i]));
      expect(changed.flatMap((c, t) => (c ? [t] : []))).toEqual([12]);
    } finally {
      model.dispose();
    }
  });
});
