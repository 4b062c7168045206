/** pathlight generate, lape and loops as a user runs them (bin/pathlight.mjs). */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generate } from '../../src/analysis/generate';
import { encodeVectorFile, hookMeans } from '../../src/analysis/vectors';
import { policyJson, referenceWindows } from '../../src/analysis/means';
import { charTokenizerJson } from '../../src/engine/char-tokenizer';
import { toHfConfig } from '../../src/engine/config';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { encodeSafetensors } from '../../src/engine/safetensors-write';
import { gpt2ToFlat } from '../../src/engine/arch/gpt2';
import { Rng } from '../../src/analysis/rng';
import { cli } from '../cli/run-cli';
import { CHARS, FIXTURE_DIR, tinyCharModel, useBackend } from './helpers';

const dir = mkdtempSync(join(tmpdir(), 'pathlight-interventions-'));
const modelDir = join(dir, 'tiny');
const dataDir = join(dir, 'data');
const PROMPT = [5, 77, 300, 12, 9];
let fixture: Model;

const ALPHABETS: Record<string, string> = { xa: 'abcdefg', yk: 'klmnop', zr: 'rstuhi' };
function lines(lang: string, n: number, seed: number): string {
  const rng = new Rng(seed);
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    let s = '';
    while (s.length < 40) {
      for (let j = 0, w = 2 + rng.int(5); j < w; j++) s += ALPHABETS[lang][rng.int(ALPHABETS[lang].length)];
      s += ' ';
    }
    out.push(s.trim());
  }
  return out.join('\n') + '\n';
}

beforeAll(async () => {
  await useBackend('cpu');
  fixture = await loadModelDir(FIXTURE_DIR);
  const m = tinyCharModel({ nCtx: 32 }, 11);
  mkdirSync(modelDir);
  writeFileSync(join(modelDir, 'config.json'), JSON.stringify(toHfConfig(m.config)));
  writeFileSync(join(modelDir, 'tokenizer.json'), JSON.stringify(charTokenizerJson(CHARS)));
  const tensors = await Promise.all(gpt2ToFlat(m.config, m.weights).map(async ([name, t]) => ({ name, shape: t.shape, data: (await t.data()) as Float32Array })));
  writeFileSync(join(modelDir, 'model.safetensors'), encodeSafetensors(tensors));
  m.dispose();
  mkdirSync(dataDir);
  Object.keys(ALPHABETS).forEach((l, k) => {
    writeFileSync(join(dataDir, `${l}.train.txt`), lines(l, 30, k));
    writeFileSync(join(dataDir, `${l}.val.txt`), lines(l, 6, 100 + k));
  });
});
afterAll(() => fixture.dispose());

describe('pathlight generate', () => {
  it('prints clean and edited continuations, the first divergence and the next-token change', async () => {
    const edit = 'blocks.1.mlp.hook_post:*:scale=0.5';
    const r = cli(['generate', '--model', FIXTURE_DIR, '--ids', PROMPT.join(','), '--backend', 'cpu', '--max-tokens', '5', '--edit', edit]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const g = await generate(fixture, { inputIds: PROMPT, edits: [{ hook: 'blocks.1.mlp.hook_post', index: null, op: 'scale', value: 0.5, positions: null }], maxTokens: 5 });
    expect(r.json.clean.ids).toEqual(g.clean);
    expect(r.json.edited.ids).toEqual(g.edited);
    expect(r.json.first_divergence).toBe(g.firstDivergence);
    expect(r.json.decoding).toEqual({ kind: 'greedy' });
    expect(r.json.next_token.kl).toBeGreaterThan(0);
    expect(r.json.next_token.changes).toHaveLength(10);
    expect(r.json.window.windowed).toBe(false);
  });

  it('samples the same text for the same seed, and steers with a vector file (α = 0 changes nothing)', () => {
    const vfile = join(dir, 'v.safetensors');
    writeFileSync(vfile, encodeVectorFile([{ name: 'a', vector: Array.from({ length: 64 }, (_, i) => Math.sin(i)) }, { name: 'b', vector: new Array(64).fill(1) }]));
    const base = ['generate', '--model', FIXTURE_DIR, '--ids', PROMPT.join(','), '--backend', 'cpu', '--max-tokens', '6', '--temperature', '1.2', '--top-k', '40', '--seed', '9'];
    const a = cli([...base, '--steer', `1:${vfile}#a:0`]);
    const b = cli([...base, '--steer', `1:${vfile}#a:0`]);
    expect(a.code).toBe(0);
    expect(a.json.clean.ids).toEqual(b.json.clean.ids);
    expect(a.json.edited.ids).toEqual(a.json.clean.ids);
    expect(a.json.first_divergence).toBeNull();
    expect(a.json.steering[0]).toMatchObject({ hook: 'blocks.1.hook_resid_pre', alpha: 0 });
    const c = cli([...base, '--steer', `1.post:${vfile}#b:50@4`]);
    expect(c.code).toBe(0);
    expect(c.json.steering[0]).toMatchObject({ hook: 'blocks.1.hook_resid_post', alpha: 50, positions: [4] });
    expect(c.json.next_token.kl).toBeGreaterThan(0);
    const d = cli([...base, '--steer', `1:${vfile}:1`]);
    expect(d.code).toBe(1);
    expect(d.stderr).toMatch(/holds 2 vectors \(a, b\); name one as FILE#NAME/);
  });

  it('mean edits use the means over a --reference text, cut by the one policy (src/analysis/means.ts) and recorded; without one they ask for it', async () => {
    const ref = join(dir, 'ref.txt');
    writeFileSync(ref, lines('xa', 4, 7));
    const r = cli(['generate', '--model', modelDir, '--text', 'abc de', '--backend', 'cpu', '--max-tokens', '6', '--edit', 'blocks.0.mlp.hook_post:*:mean', '--reference', ref]);
    expect(r.stderr).toBe('');
    expect(r.json.means_reference).toBe(ref);
    const m = await loadModelDir(modelDir);
    try {
      const reference = referenceWindows(m, readFileSync(ref, 'utf8'), ref);
      expect(r.json.means_policy).toEqual(policyJson(reference.policy));
      // Four lines of 40+ characters, each cut into windows of min(64, n_ctx) tokens.
      const W = Math.min(64, m.config.nCtx);
      const windows = readFileSync(ref, 'utf8').trim().split('\n').reduce((k, l) => k + Math.ceil(m.tokenizer!.encode(l).length / W), 0);
      expect(r.json.means_policy).toMatchObject({ source: ref, windows, window_tokens: W });
      const means = await hookMeans(m, ['blocks.0.mlp.hook_post'], reference.windows);
      const g = await generate(m, { inputIds: m.tokenizer!.encode('abc de'), edits: [{ hook: 'blocks.0.mlp.hook_post', index: null, op: 'mean', positions: null }], means, maxTokens: 6 });
      expect(r.json.edited.ids).toEqual(g.edited);
      expect(r.json.edited.text).toBe(m.tokenizer!.decode(g.edited));
    } finally {
      m.dispose();
    }
    const p = cli(['generate', '--model', modelDir, '--text', 'abc de', '--backend', 'cpu', '--max-tokens', '2', '--edit', 'blocks.0.mlp.hook_post:3:mean']);
    expect(p.code).toBe(1);
    expect(p.stderr).toMatch(/mean edits need a reference text: give --reference FILE \(the model has no corpus\.txt at .*tiny\/corpus\.txt\)/);
  });

  it('refuses bad options with one line', () => {
    const r = cli(['generate', '--model', FIXTURE_DIR, '--ids', '1,2', '--seed', '3']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/need --temperature/);
    const s = cli(['generate', '--model', FIXTURE_DIR, '--ids', '1,2', '--steer', 'x:y']);
    expect(s.stderr).toMatch(/--steer "x:y": expected/);
  });
});

describe('pathlight lape and loops', () => {
  it('lape: language neurons and the switch report from a data folder', () => {
    const r = cli(['lape', '--model', modelDir, '--data', dataDir, '--langs', 'xa,yk,zr', '--windows', '3', '--prompts', '2', '--prompt-tokens', '8', '--max-tokens', '6', '--top-rate', '0.1', '--backend', 'cpu']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.langs).toEqual(['xa', 'yk', 'zr']);
    expect(r.json.switch.rows).toHaveLength(6);
    expect(Object.keys(r.json.switch.summary)).toEqual(['clean', 'lape', 'random']);
    expect(r.json.selection.neurons.every((n: { id: string }) => /^L\d+\.N\d+$/.test(n.id))).toBe(true);
  });

  it('loops: the sweep over looping prompts with its test set and held-out loss', () => {
    const r = cli(['loops', '--model', modelDir, '--data', dataDir, '--langs', 'xa,yk,zr', '--candidates-per-lang', '3', '--prompt-tokens', '8', '--max-tokens', '16', '--threshold', '0.1', '--candidates', '2', '--random', '1', '--heldout', '1', '--backend', 'cpu']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.trials).toHaveLength(4);
    expect(r.json.random).toHaveLength(2);
    expect(r.json.loss.windows).toBe(3);
    expect(r.json.best.rate).toBe(Math.min(...r.json.trials.map((t: { rate: number }) => t.rate)));
  });
});
