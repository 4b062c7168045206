/**
 * The bundled trained models: each loads from public/models, and the held-out figure stored in its
 * metrics.json (`test_subset`) is recomputed here from the files alone and must agree within 2%.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend';
import { loadModelDir } from '../../src/engine/node-load';
import { trainLanguageId } from '../../src/analysis/language-id';
import { inductionMetric, LANGUAGE_KEPT, languageKept, polyglotMetric, TEST_SUBSET } from '../../src/train/bundled-metrics';
import { POLYGLOT_LANGS } from '../../src/train/text-data';

const ROOT = join('public', 'models');
const has = (name: string) => existsSync(join(ROOT, name, 'metrics.json')) && existsSync(join(ROOT, name, 'model.safetensors'));
const metrics = (name: string) => JSON.parse(readFileSync(join(ROOT, name, 'metrics.json'), 'utf8'));
const within2pct = (got: number, want: number) => expect(Math.abs(got - want) / Math.abs(want)).toBeLessThanOrEqual(0.02);

beforeAll(async () => {
  tf.env().set('PROD', true);
  await initBackend('wasm');
});

describe('bundled models', () => {
  it('weigh at most 25 MB together', () => {
    let total = 0;
    for (const d of readdirSync(ROOT)) {
      const f = join(ROOT, d, 'model.safetensors');
      if (existsSync(f)) total += statSync(f).size;
    }
    expect(total).toBeLessThanOrEqual(25 * 1024 * 1024);
  });

  it.skipIf(!has('polyglot'))('polyglot: per-language held-out loss matches metrics.json and beats the bigram baseline', async () => {
    const m = metrics('polyglot');
    const model = await loadModelDir(join(ROOT, 'polyglot'));
    try {
      const val = Object.fromEntries(POLYGLOT_LANGS.map((l) => [l, readFileSync(`data/polyglot/${l}.val.txt`, 'utf8')]));
      expect(m.test_subset.windows_per_language).toBe(TEST_SUBSET.polyglotWindows);
      const got = await polyglotMetric(model, val, m.test_subset.windows_per_language);
      for (const l of [...POLYGLOT_LANGS, 'mean']) within2pct(got[l], m.test_subset.held_out_nats_per_char[l]);
      for (const l of POLYGLOT_LANGS) expect(m.held_out_nats_per_char[l]).toBeLessThan(m.bigram_baseline_nats_per_char[l]);
    } finally {
      model.dispose();
    }
  });

  it.skipIf(!has('polyglot'))('polyglot: a held-out prompt in one language is continued in that language (greedy), as metrics.json says', async () => {
    const m = metrics('polyglot');
    const model = await loadModelDir(join(ROOT, 'polyglot'));
    try {
      const read = (split: string) => Object.fromEntries(POLYGLOT_LANGS.map((l) => [l, readFileSync(`data/polyglot/${l}.${split}.txt`, 'utf8')]));
      const id = trainLanguageId(read('train'), { maxChars: LANGUAGE_KEPT.languageIdChars });
      const n = m.test_subset.language_kept_prompts;
      expect(n).toBe(TEST_SUBSET.languageKeptPrompts);
      const got = await languageKept(model, read('val'), id, { prompts: n, promptLength: LANGUAGE_KEPT.promptLength, maxTokens: LANGUAGE_KEPT.maxTokens });
      // Greedy decoding: the same continuations up to float noise, so at most one prompt per language may differ.
      for (const l of POLYGLOT_LANGS) expect(Math.abs(got.kept[l] - m.test_subset.language_kept_greedy[l]), l).toBeLessThanOrEqual(1 / n + 1e-9);
      // The criterion itself, on the card's full evaluation: most continuations stay in the prompt's language.
      expect(m.language_kept.greedy.kept.mean).toBeGreaterThanOrEqual(0.75);
      for (const l of POLYGLOT_LANGS) expect(m.language_kept.greedy.kept[l], l).toBeGreaterThanOrEqual(0.5);
    } finally {
      model.dispose();
    }
  });

  it.skipIf(!has('induction'))('induction: accuracy on the repeated span matches metrics.json and is at least 90%', async () => {
    const m = metrics('induction');
    const model = await loadModelDir(join(ROOT, 'induction'));
    try {
      expect(m.test_subset.sequences).toBe(TEST_SUBSET.inductionSequences);
      const got = await inductionMetric(model, m.test_subset.sequences);
      within2pct(got.repeated, m.test_subset.accuracy_repeated);
      expect(Math.abs(got.first - m.test_subset.accuracy_first_occurrence)).toBeLessThanOrEqual(0.02);
      expect(m.accuracy_repeated).toBeGreaterThanOrEqual(0.9);
    } finally {
      model.dispose();
    }
  });
});
