/** Steering vectors: contrastive mean differences, safetensors files, and the language identifier. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { identifyLanguage, languageIdAccuracy, trainLanguageId } from '../../src/analysis/language-id';
import { contrastiveVector, decodeVectorFile, encodeVectorFile, splitWindows } from '../../src/analysis/vectors';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import { encodeSafetensors } from '../../src/engine/safetensors-write';
import { FIXTURE_DIR, liveTensors, maxAbsDiff, useBackend } from './helpers';

let model: Model;
beforeAll(async () => {
  await useBackend('cpu');
  model = await loadModelDir(FIXTURE_DIR);
});
afterAll(() => model.dispose());

describe('contrastive vectors', () => {
  const H = 'blocks.1.hook_resid_pre';
  const pos = [[1, 2, 3, 4], [9, 8, 7], [100, 200, 300, 400]];
  const neg = [[5, 6, 7, 8, 9], [11, 12]];

  async function manual(reduce: 'mean' | 'last') {
    const D = model.config.dModel;
    const red = async (ids: number[]) => {
      const a = (await runModel(model, { inputIds: [ids], capture: [H], logits: 'none' })).activations[H].data;
      const out = new Float64Array(D);
      const from = reduce === 'last' ? ids.length - 1 : 0;
      for (let t = from; t < ids.length; t++) for (let i = 0; i < D; i++) out[i] += a[t * D + i] / (ids.length - from);
      return out;
    };
    const mean = async (set: number[][]) => {
      const s = new Float64Array(D);
      for (const ids of set) (await red(ids)).forEach((x, i) => (s[i] += x / set.length));
      return s;
    };
    const [p, n] = [await mean(pos), await mean(neg)];
    return p.map((x, i) => x - n[i]);
  }

  it.each(['mean', 'last'] as const)('is the difference of the sets’ mean activations (%s over positions)', async (reduce) => {
    const before = liveTensors();
    const v = await contrastiveVector(model, { positive: pos, negative: neg, hook: H, reduce });
    expect(liveTensors()).toBe(before);
    expect(maxAbsDiff(v.vector, await manual(reduce))).toBeLessThan(1e-5);
    expect(v.norm).toBeCloseTo(Math.hypot(...v.vector), 4);
    expect(v.positive).toBe(3);
    expect(v.negative).toBe(2);
  });

  it('refuses empty sets and attention patterns', async () => {
    await expect(contrastiveVector(model, { positive: [], negative: neg, hook: H })).rejects.toThrow(/at least one prompt/);
    await expect(contrastiveVector(model, { positive: pos, negative: neg, hook: 'blocks.0.attn.hook_pattern' })).rejects.toThrow(/token-wise/);
  });
});

describe('vector files (safetensors)', () => {
  it('round-trip names, values and metadata', async () => {
    const a = Float32Array.from({ length: 64 }, (_, i) => Math.sin(i) * 3);
    const b = [1, -2, 0.5];
    const bytes = encodeVectorFile([
      { name: 'de_minus_en', vector: a, meta: { hook: 'blocks.2.hook_resid_pre', method: 'contrastive', model: 'polyglot' } },
      { name: 'small', vector: b },
    ]);
    // The safetensors layout: 8-byte little-endian header length, JSON header, F32 data.
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + n)));
    expect(header.de_minus_en).toEqual({ dtype: 'F32', shape: [64], data_offsets: [0, 256] });
    expect(JSON.parse(header.__metadata__['pathlight.vectors']).de_minus_en.hook).toBe('blocks.2.hook_resid_pre');
    const back = await decodeVectorFile(bytes);
    expect(back.map((v) => v.name)).toEqual(['de_minus_en', 'small']);
    expect(Array.from(back[0].vector)).toEqual(Array.from(a));
    expect(Array.from(back[1].vector)).toEqual(b);
    expect(back[0].meta).toEqual({ hook: 'blocks.2.hook_resid_pre', method: 'contrastive', model: 'polyglot' });
  });

  it('reads a file written elsewhere: 2-D tensors give one vector per row; bad files are refused', async () => {
    const m = encodeSafetensors([{ name: 'dirs', shape: [2, 3], data: Float32Array.from([1, 2, 3, 4, 5, 6]) }]);
    const back = await decodeVectorFile(m);
    expect(back.map((v) => [v.name, Array.from(v.vector)])).toEqual([['dirs.0', [1, 2, 3]], ['dirs.1', [4, 5, 6]]]);
    await expect(decodeVectorFile(new Uint8Array([1, 2, 3]))).rejects.toThrow(/truncated/);
    expect(() => encodeVectorFile([{ name: 'x', vector: [NaN] }])).toThrow(/non-finite/);
    expect(() => encodeVectorFile([{ name: 'x', vector: [1] }, { name: 'x', vector: [2] }])).toThrow(/repeated/);
  });

  it('splits long token sequences into windows', () => {
    expect(splitWindows([1, 2, 3, 4, 5], 2)).toEqual([[1, 2], [3, 4], [5]]);
  });
});

describe('language identification', () => {
  it('tells languages apart by their character trigrams', () => {
    const id = trainLanguageId({
      en: 'the cat sat on the mat and the dog ate the hat while the bird sang in the tree. '.repeat(5),
      de: 'der hund und die katze sind nicht hier, aber die maus ist schon wieder im haus. '.repeat(5),
    });
    expect(identifyLanguage(id, 'the dog sat in the tree').lang).toBe('en');
    expect(identifyLanguage(id, 'die katze ist nicht im haus').lang).toBe('de');
    const g = identifyLanguage(id, 'the hat');
    expect(g.margin).toBeGreaterThan(0);
    expect(Object.keys(g.scores).sort()).toEqual(['de', 'en']);
  });

  it.runIf(existsSync('data/polyglot/en.train.txt'))('identifies 32-character polyglot validation snippets with ≥ 95% accuracy', () => {
    const langs = ['en', 'de', 'es', 'it'];
    const id = trainLanguageId(Object.fromEntries(langs.map((l) => [l, readFileSync(`data/polyglot/${l}.train.txt`, 'utf8')])), { maxChars: 300_000 });
    const samples = langs.flatMap((l) =>
      readFileSync(`data/polyglot/${l}.val.txt`, 'utf8').split('\n').filter((s) => s.length >= 72).slice(0, 50).map((s) => ({ text: s.slice(40, 72), lang: l })),
    );
    expect(languageIdAccuracy(id, samples).accuracy).toBeGreaterThanOrEqual(0.95);
  });
});
