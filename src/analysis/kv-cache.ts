/**
 * The key/value cache of generation: the engine's block (src/engine/block.ts) for a chunk of new positions
 * [start, T) that attends to the cached keys and values of positions [0, start). Every hook point sees the chunk's
 * values; edits are the engine's own edit maps (buildEditMaps over the whole sequence) restricted to the chunk's
 * positions.
 *
 * Storage: per layer, sealed blocks of BLOCK positions (keys kept transposed, [B, K, d_head, BLOCK], so their
 * scores are a product without a transposed operand) and one open tail of fewer than BLOCK positions that each
 * step extends. A step copies at most the tail, not the whole cache (concatenating everything at every step cost
 * 6 ms per token at 64 positions and 64 ms at 768 for GPT-2 small), and attends block by block: the scores of all
 * blocks are concatenated before the mask and softmax, so the pattern (and its hooks and edits) is the whole row.
 */
import * as tf from '@tensorflow/tfjs';
import { buildEditMaps, validateEdit } from '../engine/edits';
import { fail } from '../engine/errors';
import { unembed } from '../engine/forward';
import { hookInfo } from '../engine/hooks';
import type { Model } from '../engine/model';
import { checkRunMemory } from '../engine/memory-check';
import { product } from '../engine/ops';
import { describeRun, type RunShape } from '../engine/request-memory';
import { block, embed, finalNorm, headsFirst, maskData, patternOf, repeatKv, type Attention, type BlockHookFn } from '../engine/block';
import { isCausal, type Edit, type HookName, type ModelConfig } from '../engine/types';
import { editsForWindow } from './edit-window';

export type Means = Record<HookName, Float32Array | number[]>;

/** Positions per sealed block of the cache. */
export const KV_BLOCK = 128;

/** One layer's cache: sealed blocks (keys transposed) and the open tail ([B, K, n, d_head] both). */
interface LayerCache {
  blocks: Array<{ kT: tf.Tensor; v: tf.Tensor }>;
  tailK: tf.Tensor | null;
  tailV: tf.Tensor | null;
}

const emptyLayer = (): LayerCache => ({ blocks: [], tailK: null, tailV: null });

/**
 * z [B, Tn, H, d_head] for query heads qh [B, H, Tn, d_head] over the sealed blocks and the tail (which already
 * holds this step's keys and values): one score product per block, concatenated, masked and softmaxed as one row.
 */
function attendBlocks(lc: LayerCache, qh: tf.Tensor, tailK: tf.Tensor, tailV: tf.Tensor, mask: tf.Tensor, cfg: ModelConfig, hl: BlockHookFn): tf.Tensor {
  const keys = [...lc.blocks.map((b) => ({ scores: product(qh, repeatKv(b.kT, cfg)), v: b.v })), { scores: tf.matMul(qh, repeatKv(tailK, cfg), false, true), v: tailV }];
  const raw = keys.length === 1 ? keys[0].scores : tf.concat(keys.map((k) => k.scores), 3);
  const pattern = patternOf(raw, mask, cfg, hl);
  if (keys.length === 1) return tf.transpose(product(pattern, repeatKv(tailV, cfg)), [0, 2, 1, 3]);
  const [B, H, Tn] = pattern.shape;
  let z: tf.Tensor | null = null;
  let off = 0;
  for (const k of keys) {
    const n = k.v.shape[2]!;
    const part = product(tf.slice(pattern, [0, 0, 0, off], [B, H, Tn, n]), repeatKv(k.v, cfg));
    z = z ? tf.add(z, part) : part;
    off += n;
  }
  return tf.transpose(z!, [0, 2, 1, 3]);
}

/** The query rows [start, T) of a pattern edit map [B, H, T, T]. */
function sliceMap(m: Float32Array, B: number, T: number, start: number, H: number): Float32Array {
  const Tn = T - start;
  const out = new Float32Array(B * H * Tn * T);
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) out.set(m.subarray(((b * H + h) * T + start) * T, ((b * H + h) * T + T) * T), (b * H + h) * Tn * T);
  }
  return out;
}

/** Keys (after rotary) and values of the positions processed so far, per layer, for a batch of sequences growing together (exported for tests). */
export class KvCache {
  length = 0;
  private layers: LayerCache[] = [];
  /** `block`: positions per sealed block (tests make it small so that blocks seal within a short context). */
  constructor(
    private model: Model,
    private readonly block = KV_BLOCK,
  ) {
    if (!Number.isInteger(block) || block < 1) fail(`a key/value cache block must hold at least one position (got ${block})`);
    // New rows attend only to earlier ones: exact only under causal attention.
    if (!isCausal(model.config)) fail(`a key/value cache needs causal attention; this ${model.config.modelType} model's attention is bidirectional`);
  }

  dispose(): void {
    for (const lc of this.layers) disposeLayer(lc);
    this.layers = [];
    this.length = 0;
  }

  /** Tensors held (for tests): sealed blocks and tails of every layer. */
  get tensorCount(): number {
    return this.layers.reduce((n, lc) => n + 2 * lc.blocks.length + (lc.tailK ? 2 : 0), 0);
  }

  /** Feeds `chunk` (one list of new tokens per sequence, equal lengths) and returns the last position's logits [B, V]. */
  async extend(chunk: number[][], edits: Edit[][], means?: Means): Promise<Float32Array> {
    const model = this.model;
    const cfg = model.config;
    const w = model.weights;
    const B = chunk.length;
    const Tn = chunk[0].length;
    const start = this.length;
    const T = start + Tn;
    const { nHead: H, dHead: dh, dModel: D } = cfg;
    for (const set of edits) for (const e of set) validateEdit(e, cfg, T);
    // The new keys and values of every layer (the whole cache, concatenated) stay allocated after the step.
    const shape: RunShape = { batch: B, rows: Tn, keys: T, layers: cfg.nLayer, gradient: false, logits: 'last', captureFloats: 2 * B * T * cfg.nKvHead * dh * cfg.nLayer };
    checkRunMemory(cfg, shape, describeRun(shape, 'a generation step'));
    const maps = new Map<HookName, { mult: tf.Tensor | null; add: tf.Tensor | null }>();
    const hooks = new Set(edits.flat().map((e) => e.hook));
    const layers = this.layers.length ? this.layers : Array.from({ length: cfg.nLayer }, emptyLayer);
    const newTails: Array<{ k: tf.Tensor; v: tf.Tensor }> = [];
    const logits = tf.tidy(() => {
      for (const hook of hooks) {
        const info = hookInfo(hook, cfg);
        if (info.layout === 'pattern') {
          // Patterns span all keys: build over the whole sequence and keep the chunk's query rows.
          const m = buildEditMaps(hook, edits, cfg, T, means);
          if (!m) continue;
          const cut = (a: Float32Array | null) => (a ? tf.tensor(sliceMap(a, B, T, start, H), [B, H, Tn, T]) : null);
          maps.set(hook, { mult: cut(m.mult), add: cut(m.add) });
        } else {
          // Token-wise hooks: the same edits with positions moved into the chunk (cheaper than whole-sequence maps).
          const m = buildEditMaps(hook, edits.map((set) => editsForWindow(set, start, Tn)), cfg, Tn, means);
          if (!m) continue;
          const shape = info.layout === 'heads' ? [B, Tn, info.units, dh] : [B, Tn, info.units];
          maps.set(hook, { mult: m.mult ? tf.tensor(m.mult, shape) : null, add: m.add ? tf.tensor(m.add, shape) : null });
        }
      }
      const hook = (name: HookName, x: tf.Tensor): tf.Tensor => {
        const m = maps.get(name);
        if (!m) return x;
        let y = x;
        if (m.mult) y = tf.mul(y, m.mult);
        if (m.add) y = tf.add(y, m.add);
        return y;
      };
      const ids = tf.tensor2d(chunk.flat(), [B, Tn], 'int32');
      let resid = embed(w, cfg, ids, start, hook);
      const masks = new Map<number | null, tf.Tensor>();
      const attention: Attention = {
        offset: start,
        attend: (l, q, k, v, hl) => {
          const lc = layers[l];
          const tk = lc.tailK ? tf.concat([lc.tailK, headsFirst(k)], 2) : headsFirst(k);
          const tv = lc.tailV ? tf.concat([lc.tailV, headsFirst(v)], 2) : headsFirst(v);
          newTails.push({ k: tf.keep(tk), v: tf.keep(tv) });
          const win = cfg.attnWindows[l];
          let mask = masks.get(win);
          if (!mask) masks.set(win, (mask = tf.tensor2d(maskData(Tn, start, win), [Tn, T])));
          return attendBlocks(lc, headsFirst(q), tk, tv, mask, cfg, hl);
        },
      };
      for (let l = 0; l < cfg.nLayer; l++) {
        const hl: BlockHookFn = (p, x) => hook(`blocks.${l}.${p}`, x);
        resid = block(w.blocks[l], cfg, l, resid, attention, hl);
      }
      const fin = finalNorm(w, cfg, resid, hook);
      return tf.reshape(unembed(w, tf.slice(fin, [0, Tn - 1, 0], [B, 1, D])), [B, cfg.vocabSize]);
    });
    // The tails become this step's, and every BLOCK positions of a tail are sealed into a block.
    layers.forEach((lc, l) => {
      lc.tailK?.dispose();
      lc.tailV?.dispose();
      const { k, v } = newTails[l];
      const n = k.shape[2]!;
      const S = this.block;
      const sealedRows = n - (n % S);
      if (sealedRows === 0) {
        lc.tailK = k;
        lc.tailV = v;
        return;
      }
      const [B, Kh, , dh] = k.shape;
      tf.tidy(() => {
        for (let o = 0; o < sealedRows; o += S) {
          lc.blocks.push({ kT: tf.keep(tf.transpose(tf.slice(k, [0, 0, o, 0], [B, Kh, S, dh]), [0, 1, 3, 2])), v: tf.keep(tf.slice(v, [0, 0, o, 0], [B, Kh, S, dh])) });
        }
        lc.tailK = n > sealedRows ? tf.keep(tf.slice(k, [0, 0, sealedRows, 0], [B, Kh, n - sealedRows, dh])) : null;
        lc.tailV = n > sealedRows ? tf.keep(tf.slice(v, [0, 0, sealedRows, 0], [B, Kh, n - sealedRows, dh])) : null;
      });
      k.dispose();
      v.dispose();
    });
    this.layers = layers;
    this.length = T;
    try {
      return (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
  }
}

function disposeLayer(lc: LayerCache): void {
  for (const b of lc.blocks) {
    b.kT.dispose();
    b.v.dispose();
  }
  lc.tailK?.dispose();
  lc.tailV?.dispose();
}
