/**
 * The engine's own ViT forward pass over parameters kept in the checkpoint's (Hugging Face) names, for training:
 * the parameters are mapped to the canonical weights record with differentiable tensor operations (the same
 * conversion src/engine/arch/vit.ts applies when it loads the checkpoint), then `forwardResidual` and
 * `outputLogits` run as they do for a loaded model. What is trained is exactly what the engine runs.
 */
import * as tf from '@tensorflow/tfjs';
import { parseConfig } from '../engine/config';
import { forwardResidual, outputLogits } from '../engine/forward';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { ModelConfig } from '../engine/types';
import type { BlockWeights, Weights } from '../engine/weights';
import type { ClassifyBatch } from './vision-eval';
import type { VisionForward } from './vision-trainer';

/** nn.Linear rows [out, in] side by side as one canonical [in, Σ out] matrix. */
const columns = (...rows: tf.Tensor[]) => (rows.length === 1 ? tf.transpose(rows[0]) : tf.concat(rows.map((r) => tf.transpose(r)), 1)) as tf.Tensor2D;

/** The canonical weights of a ViT from its parameters in Hugging Face names (`vit.` prefix kept). */
export function vitWeights(cfg: ModelConfig, params: ReadonlyMap<string, tf.Tensor>): Weights {
  const get = (k: string) => {
    const t = params.get(k);
    if (!t) throw new Error(`ViT parameters: "${k}" is missing`);
    return t;
  };
  const { dModel: D, nCtx } = cfg;
  const blocks: BlockWeights[] = [];
  for (let l = 0; l < cfg.nLayer; l++) {
    const a = `vit.encoder.layer.${l}.`;
    const att = (x: string, part: string) => get(`${a}attention.attention.${x}.${part}`);
    const lin = (k: string) => ({ weight: columns(get(`${a}${k}.weight`)), bias: get(`${a}${k}.bias`) as tf.Tensor1D });
    const norm = (k: string) => ({ weight: get(`${a}${k}.weight`) as tf.Tensor1D, bias: get(`${a}${k}.bias`) as tf.Tensor1D });
    blocks.push({
      ln1: norm('layernorm_before'),
      ln2: norm('layernorm_after'),
      attn: {
        qkv: { weight: columns(att('query', 'weight'), att('key', 'weight'), att('value', 'weight')), bias: cfg.bias.qkv ? (tf.concat([att('query', 'bias'), att('key', 'bias'), att('value', 'bias')]) as tf.Tensor1D) : undefined },
        o: lin('attention.output.dense'),
      },
      mlp: { in: lin('intermediate.dense'), out: lin('output.dense') },
    });
  }
  const proj = get('vit.embeddings.patch_embeddings.projection.weight');
  return {
    embed: columns(tf.reshape(proj, [D, proj.size / D])),
    embedBias: get('vit.embeddings.patch_embeddings.projection.bias') as tf.Tensor1D,
    cls: tf.reshape(get('vit.embeddings.cls_token'), [1, D]),
    pos: tf.reshape(get('vit.embeddings.position_embeddings'), [nCtx, D]),
    blocks,
    lnFinal: { weight: get('vit.layernorm.weight') as tf.Tensor1D, bias: get('vit.layernorm.bias') as tf.Tensor1D },
    unembed: get('classifier.weight') as tf.Tensor2D,
    unembedBias: get('classifier.bias') as tf.Tensor1D,
  };
}

/**
 * pixel_values [B, C, H, W] → patch rows [B, P, C·p·p], patch (r, c) at row r·(W/p) + c with its pixels in
 * (channel, y, x) order: the layout the engine's forward pass reads (src/engine/inputs.ts `unfoldPatches`).
 */
export function patchRows(cfg: ModelConfig, pixels: tf.Tensor4D): tf.Tensor3D {
  const { patchSize: p, grid, channels: C } = cfg.vision!;
  const B = pixels.shape[0];
  return tf.reshape(tf.transpose(tf.reshape(pixels, [B, C, grid[0], p, grid[1], p]), [0, 2, 4, 1, 3, 5]), [B, grid[0] * grid[1], C * p * p]);
}

/** The engine's forward pass of the ViT described by `hfConfig` (config.json), as a trainer's forward. */
export function vitForward(hfConfig: object): VisionForward {
  const cfg = parseConfig(hfConfig);
  if (!cfg.vision) throw new Error(`config.json: model_type ${cfg.modelType} is not a vision model`);
  return (params, pixels) => {
    const w = vitWeights(cfg, params);
    return outputLogits(w, cfg, forwardResidual(w, cfg, patchRows(cfg, pixels))) as tf.Tensor2D;
  };
}

/** Classification of batches of pixel values with a forward pass and parameters (no gradients). */
export function vitClassifier(forward: VisionForward, params: ReadonlyMap<string, tf.Tensor>, channels = 1): ClassifyBatch {
  return async (pixels, batch) => {
    const side = Math.round(Math.sqrt(pixels.length / batch / channels));
    const logits = tf.tidy(() => forward(params, tf.tensor4d(pixels, [batch, channels, side, side])));
    const out = (await logits.data()) as Float32Array;
    logits.dispose();
    return out;
  };
}

/** Classification of batches of pixel values by a loaded model, through `runModel` as the workbench runs it. */
export function modelClassifier(model: Model): ClassifyBatch {
  const v = model.config.vision;
  if (!v) throw new Error(`model ${model.name} is not a vision model`);
  return async (pixels, batch) => {
    const r = await runModel(model, { pixelValues: { shape: [batch, v.channels, ...v.imageSize], data: pixels }, logits: 'last' });
    return r.logits!.data;
  };
}
