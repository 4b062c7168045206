/** LAPE statistics, language-neuron selection, and the language-switch report's code path on a tiny model. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/analysis/generate';
import { identifyLanguage, trainLanguageId } from '../../src/analysis/language-id';
import { languageCentroids, steeringEdit, steeringSwitchReport } from '../../src/analysis/steering';
import { hookMeans } from '../../src/analysis/vectors';
import {
  kthQuantile,
  languageSwitchEdits,
  languageSwitchReport,
  lapeStats,
  randomNeurons,
  selectLanguageNeurons,
  switchEdits,
  type LapeStats,
} from '../../src/analysis/lape';
import type { Model } from '../../src/engine/model';
import { runModel } from '../../src/engine/run';
import { Rng } from '../../src/analysis/rng';
import { liveTensors, tinyCharModel, useBackend } from './helpers';

/** Pseudo-languages over disjoint letters. */
const ALPHABETS: Record<string, string> = { xa: 'abcdefg', yk: 'klmnop', zr: 'rstuhi' };
function text(lang: string, n: number, seed: number): string {
  const rng = new Rng(seed);
  const letters = ALPHABETS[lang];
  let s = '';
  while (s.length < n) {
    const w = 2 + rng.int(5);
    for (let i = 0; i < w; i++) s += letters[rng.int(letters.length)];
    s += ' ';
  }
  return s.slice(0, n);
}

let model: Model;
let texts: Record<string, number[][]>;
beforeAll(async () => {
  await useBackend('cpu');
  model = tinyCharModel({ nCtx: 32 });
  texts = Object.fromEntries(Object.keys(ALPHABETS).map((l, k) => [l, [0, 1, 2].map((i) => model.tokenizer!.encode(text(l, i === 2 ? 20 : 24, 10 * k + i)))]));
});
afterAll(() => model.dispose());

describe('LAPE statistics', () => {
  it('counts activation probability and mean active value per language, as captured activations give them', async () => {
    const before = liveTensors();
    const stats = await lapeStats(model, { texts, batchSize: 2 });
    expect(liveTensors()).toBe(before);
    const { nLayer: L, dMlp: M } = model.config;
    const K = 3;
    expect(stats.langs).toEqual(['xa', 'yk', 'zr']);
    expect(stats.tokens).toEqual([68, 68, 68]);
    const active = new Float64Array(L * M * K);
    const sum = new Float64Array(L * M * K);
    for (const [k, lang] of stats.langs.entries()) {
      for (const w of texts[lang]) {
        const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.mlp.hook_post`);
        const r = await runModel(model, { inputIds: [w], capture: hooks, logits: 'none' });
        hooks.forEach((h, l) => {
          const d = r.activations[h].data;
          for (let t = 0; t < w.length; t++) for (let n = 0; n < M; n++) if (d[t * M + n] > 0) (active[(l * M + n) * K + k] += 1), (sum[(l * M + n) * K + k] += d[t * M + n]);
        });
      }
    }
    for (let i = 0; i < L * M * K; i++) {
      expect(stats.prob[i]).toBeCloseTo(active[i] / 68, 6);
      expect(stats.meanActive[i]).toBeCloseTo(active[i] ? sum[i] / active[i] : 0, 4);
    }
    for (let u = 0; u < L * M; u++) {
      const p = [0, 1, 2].map((k) => stats.prob[u * K + k]);
      const tot = p[0] + p[1] + p[2];
      const h = tot ? -p.reduce((s, x) => (x > 0 ? s + (x / tot) * Math.log(x / tot) : s), 0) : 0;
      expect(stats.entropy[u]).toBeCloseTo(h, 5);
    }
  });

  it('selects low-entropy neurons and assigns them to languages as the LAPE reference code does', () => {
    const stats: LapeStats = {
      langs: ['a', 'b'],
      nLayer: 1,
      dMlp: 4,
      tokens: [10, 10],
      prob: Float32Array.from([0.9, 0, 0.5, 0.5, 0, 0.8, 0.1, 0.1]),
      meanActive: Float32Array.from([2, 0, 1, 1, 0, 3, 0.5, 0.5]),
      entropy: Float32Array.from([0, Math.LN2, 0, Math.LN2]),
    };
    expect(kthQuantile(stats.prob, 0.5)).toBeCloseTo(0.1);
    const sel = selectLanguageNeurons(stats, { topRate: 0.5, filterRate: 0.5, barRate: 0.5 });
    expect(sel.byLang).toEqual({ a: [{ layer: 0, index: 0 }], b: [{ layer: 0, index: 2 }] });
    expect(sel.neurons.map((n) => n.langs)).toEqual([['a'], ['b']]);
    const edits = languageSwitchEdits(stats, sel, 'a', 'b', 2);
    expect(edits).toEqual([
      { hook: 'blocks.0.mlp.hook_post', index: 0, op: 'zero', positions: null },
      { hook: 'blocks.0.mlp.hook_post', index: 2, op: 'clamp', value: 6, positions: null },
    ]);
    // A neuron in both sets is activated, not deactivated.
    expect(switchEdits(stats, [{ layer: 0, index: 1 }], [{ layer: 0, index: 1 }], 'a')).toEqual([
      { hook: 'blocks.0.mlp.hook_post', index: 1, op: 'clamp', value: 1, positions: null },
    ]);
    const r = randomNeurons(stats, 2, new Rng(1), new Set(['0.0', '0.2']));
    expect(r.map((n) => n.index).sort()).toEqual([1, 3]);
    expect(() => randomNeurons(stats, 3, new Rng(1), new Set(['0.0', '0.2']))).toThrow(/cannot pick/);
  });
});

describe('language-switch report', () => {
  it('runs clean, LAPE-edited and random-edited generation for each prompt and counts switches', async () => {
    const stats = await lapeStats(model, { texts });
    const sel = selectLanguageNeurons(stats, { topRate: 0.1 });
    const id = trainLanguageId(Object.fromEntries(Object.keys(ALPHABETS).map((l) => [l, text(l, 600, 99)])));
    const prompts = Object.keys(ALPHABETS).flatMap((l, k) => [0, 1].map((i) => ({ ids: model.tokenizer!.encode(text(l, 10, 50 + 2 * k + i)), lang: l })));
    const before = liveTensors();
    let last = 0;
    const rep = await languageSwitchReport(model, { stats, selection: sel, prompts, languageId: id, maxTokens: 6, seed: 5, batchSize: 4 }, { onProgress: (d, t) => (last = d / t) });
    expect(liveTensors()).toBe(before);
    expect(last).toBe(1);
    expect(rep.rows).toHaveLength(6);
    expect(rep.rows.map((r) => r.target)).toEqual(['yk', 'zr', 'xa', 'zr', 'xa', 'yk']);
    for (const cond of ['clean', 'lape', 'random'] as const) {
      const s = rep.summary[cond];
      expect(s.n).toBe(6);
      expect(s.switched).toBe(rep.rows.filter((r) => r.continuations[cond].lang === r.target).length);
      expect(s.leftSource).toBe(rep.rows.filter((r) => r.continuations[cond].lang !== r.source).length);
      expect(s.switchRate).toBeCloseTo(s.switched / 6);
    }
    // The rows are what generation with those edits gives, and the labels what the identifier says.
    const p = prompts[0];
    const g = await generate(model, { inputIds: p.ids, edits: languageSwitchEdits(stats, sel, p.lang, 'yk'), maxTokens: 6 });
    expect(rep.rows[0].continuations.clean.text).toBe(model.tokenizer!.decode(g.clean));
    expect(rep.rows[0].continuations.lape.text).toBe(model.tokenizer!.decode(g.edited));
    expect(rep.rows[0].continuations.lape.lang).toBe(identifyLanguage(id, rep.rows[0].continuations.lape.text).lang);
    expect(rep.rows[0].edited).toBe(sel.byLang.xa.length + sel.byLang.yk.length);
  });
});

describe('steering switch report (activation addition between language centroids)', () => {
  it('adds α·(centroid(target) − centroid(source)) at every step; α = 0 is the clean run', async () => {
    const hook = 'blocks.1.hook_resid_pre';
    const centroids = await languageCentroids(model, hook, texts);
    expect(Array.from(centroids.yk)).toEqual(Array.from((await hookMeans(model, [hook], texts.yk))[hook]));
    const id = trainLanguageId(Object.fromEntries(Object.keys(ALPHABETS).map((l) => [l, text(l, 600, 99)])));
    const prompts = Object.keys(ALPHABETS).flatMap((l, k) => [0, 1].map((i) => ({ ids: model.tokenizer!.encode(text(l, 10, 70 + 2 * k + i)), lang: l })));
    const before = liveTensors();
    const rep = await steeringSwitchReport(model, { prompts, centroids, layer: 1, alphas: [0, 3], languageId: id, maxTokens: 6, batchSize: 5, randomDirections: true });
    expect(liveTensors()).toBe(before);
    expect(rep.hook).toBe(hook);
    expect(rep.rows.map((r) => [r.alpha, r.direction])).toEqual([[0, 'centroid'], [3, 'centroid'], [3, 'random']]);
    for (const r of rep.rows) {
      expect(r.examples.map((e) => e.source)).toEqual(['xa', 'yk', 'zr']);
      expect(r.n).toBe(6);
      expect(r.switchRate).toBeCloseTo(r.switched / 6);
    }
    const p = prompts[0];
    const v = Array.from(centroids.yk, (x, i) => x - centroids.xa[i]);
    const g = await generate(model, { inputIds: p.ids, edits: [steeringEdit(model.config, { layer: 1, vector: v, alpha: 3 })], maxTokens: 6 });
    expect(rep.rows[0].examples[0].text).toBe(model.tokenizer!.decode(g.clean));
    expect(rep.rows[1].examples[0].text).toBe(model.tokenizer!.decode(g.edited));
    expect(rep.rows[1].examples[0].target).toBe('yk');
    expect(rep.meanVectorNorm).toBeGreaterThan(0);
  });
});
