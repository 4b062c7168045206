import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attribute } from '../../src/analysis/attribution';
import { referenceMeans } from '../../src/analysis/means';
import { headPatternScores } from '../../src/analysis/head-patterns';
import { findPath } from '../../src/analysis/path';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { cli } from '../cli/run-cli';
import { FIXTURE_DIR, loadReference } from '../engine/fixture';

const ref = loadReference();
const ids = ref.input_ids;
const T = ids.length;
const dir = mkdtempSync(join(tmpdir(), 'pathlight-analysis-'));

describe('pathlight attribute / path / faithfulness', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(FIXTURE_DIR);
  });
  afterAll(() => model.dispose());

  it('attribute prints every hook as [T, N] in the run tensor format, equal to the library', async () => {
    const r = cli(['attribute', '--model', FIXTURE_DIR, '--ids', ids.join(','), '--target', `#${ref.target.token}`, '--method', 'ig', '--steps', '8', '--positions', 'all']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json.method).toBe('ig');
    expect(r.json.target).toMatchObject({ kind: 'logit', token: ref.target.token, position: T - 1 });
    expect(Object.keys(r.json.scores)).toEqual(['blocks.0.mlp.hook_post', 'blocks.0.attn.hook_z', 'blocks.1.mlp.hook_post', 'blocks.1.attn.hook_z']);
    expect(r.json.scores['blocks.1.attn.hook_z'].shape).toEqual([T, 4]);
    const lib = await attribute(model, { ids, target: { kind: 'logit', token: ref.target.token }, method: 'ig', steps: 8, positions: 'all' });
    const got = r.json.scores['blocks.0.mlp.hook_post'];
    expect(got.shape).toEqual([T, 256]);
    for (const i of [5, 700, T * 256 - 1]) expect(got.data[i]).toBeCloseTo(lib.scores['blocks.0.mlp.hook_post'].data[i], 5);
    expect(r.json.target.value).toBeCloseTo(lib.targetValue, 4);
  });

  it('text prompts and token strings on the bundled gpt2-tiny; logit difference; one layer; mean ablation over a reference', async () => {
    const tiny = await loadModelDir('gpt2-tiny');
    const tok = tiny.tokenizer!;
    const text = 'The cat sat on the mat and the dog';
    const x = tok.encode(text);
    const t = tok.tokenString(x[3]);
    const d = tok.tokenString(x[5]);
    const r = cli(['attribute', '--model', 'gpt2-tiny', '--text', text, '--target', t, '--distractor', d, '--method', 'gxa', '--layer', '1', '--kinds', 'neuron', '--positions', '2']);
    expect(r.stderr).toBe('');
    expect(r.json.input_ids).toEqual(x);
    expect(r.json.target).toMatchObject({ kind: 'logit_diff', token: x[3], distractor: x[5], token_string: t });
    expect(Object.keys(r.json.scores)).toEqual(['blocks.1.mlp.hook_post']);
    const lib = await attribute(tiny, { ids: x, target: { kind: 'logit_diff', token: x[3], distractor: x[5] }, method: 'gxa', layer: 1, kinds: ['neuron'], positions: 2 });
    expect(r.json.scores['blocks.1.mlp.hook_post'].data.slice(2 * 256, 3 * 256).map((v: number) => v.toFixed(4))).toEqual(Array.from(lib.scores['blocks.1.mlp.hook_post'].data.subarray(2 * 256, 3 * 256)).map((v) => v.toFixed(4)));
    expect(r.json.scores['blocks.1.mlp.hook_post'].data.slice(0, 256).every((v: number) => v === 0)).toBe(true);

    const refFile = join(dir, 'reference.txt');
    writeFileSync(refFile, 'A reference text for the means.\nAnd a second line of it.\n');
    const m = cli(['attribute', '--model', 'gpt2-tiny', '--text', text, '--target', `#${x[4]}`, '--method', 'ablate', '--ablation', 'mean', '--reference', refFile, '--layer', '0', '--kinds', 'head']);
    expect(m.stderr).toBe('');
    const hooks = ['blocks.0.mlp.hook_post', 'blocks.0.attn.hook_z', 'blocks.1.mlp.hook_post', 'blocks.1.attn.hook_z'];
    const means = await referenceMeans(tiny, hooks, 'A reference text for the means.\nAnd a second line of it.\n');
    const libM = await attribute(tiny, { ids: x, target: { kind: 'logit', token: x[4] }, method: 'ablate', ablation: 'mean', means, layer: 0, kinds: ['head'] });
    expect(m.json.scores['blocks.0.attn.hook_z'].data.slice(-4).map((v: number) => v.toFixed(4))).toEqual(Array.from(libM.scores['blocks.0.attn.hook_z'].data.slice(-4)).map((v) => v.toFixed(4)));
    tiny.dispose();
  });

  it('path prints the path, runners-up, edges, beams and baselines, equal to the library', async () => {
    const r = cli(['path', '--model', FIXTURE_DIR, '--ids', ids.join(','), '--target', `#${ref.target.token}`, '--steps', '8', '--beam', '2', '--seed', '4']);
    expect(r.stderr).toBe('');
    const lib = await findPath(model, { ids, target: { kind: 'logit', token: ref.target.token }, steps: 8, beam: 2, seed: 4 });
    expect(r.json.path).toHaveLength(2);
    for (const [i, n] of r.json.path.entries()) {
      expect(Object.keys(n)).toEqual(['hook', 'index', 'position', 'score', 'removal', 'node']);
      expect(n).toMatchObject({ hook: lib.path[i].hook, index: lib.path[i].index, position: T - 1, node: lib.path[i].node });
      expect(n.score).toBeCloseTo(lib.path[i].score, 5);
      expect(n.removal).toBeCloseTo(lib.path[i].removal!, 5);
    }
    expect(r.json.runners_up.map((l: any[]) => l.map((n) => n.index))).toEqual(lib.runners_up.map((l) => l.map((n) => n.index)));
    expect(r.json.edges).toHaveLength(1);
    expect(r.json.edges[0].weight).toBeCloseTo(lib.edges[0].weight, 5);
    expect(r.json.beams).toHaveLength(2);
    for (const b of ['activation', 'layer_ig', 'random', 'gxa'] as const) expect(r.json.baselines[b].map((n: any) => n.index)).toEqual(lib.baselines[b]!.map((n) => n.index));
    expect(r.json.score_kind).toBe('layer_scaled_joint_ig');
    expect(r.json.ig_completeness).toHaveLength(2);
    expect(r.json.layerScores).toBeUndefined();
  });

  it('faithfulness reads a prompt file (ids without a tokenizer, optional TAB target) and summarises', () => {
    const file = join(dir, 'prompts.txt');
    writeFileSync(file, `${ids.slice(0, 8).join(',')}\n\n${ids.slice(2).join(' ')}\t#7\n`);
    const r = cli(['faithfulness', '--model', FIXTURE_DIR, '--prompts', file, '--steps', '4']);
    expect(r.stderr).toBe('');
    expect(r.json.prompts).toBe(2);
    expect(r.json.rows[1].token).toBe(7);
    expect(r.json.summary.map((s: any) => `${s.method}/${s.manipulation}`)).toEqual([
      'neuronpath/remove', 'neuronpath/enhance', 'activation/remove', 'activation/enhance',
      'layer_ig/remove', 'layer_ig/enhance', 'gxa/remove', 'gxa/enhance', 'random/remove', 'random/enhance',
    ]);
    expect(r.json.paired).toHaveLength(8);
    expect(r.json.random.map((x: any) => [x.manipulation, x.paths])).toEqual([['remove', 20], ['enhance', 20]]);
    expect(r.json.summary.every((s: any) => s.ci95[0] <= s.mean + 1e-12 && s.mean <= s.ci95[1] + 1e-12)).toBe(true);
  });

  it('heads prints every head\'s pattern scores, equal to the library, on a prompt and on repeated random sequences', async () => {
    const r = cli(['heads', '--model', FIXTURE_DIR, '--ids', ids.join(',')]);
    expect(r.stderr).toBe('');
    const { nLayer, nHead } = model.config;
    expect(r.json.heads).toHaveLength(nLayer * nHead);
    const want = await headPatternScores(model, [{ ids }]);
    for (const h of r.json.heads) {
      expect(h.prev_token).toBeCloseTo(want.prevToken[h.layer][h.head], 5);
      expect(h.self).toBeCloseTo(want.self[h.layer][h.head], 5);
      expect(h.induction).toBeCloseTo(want.induction[h.layer][h.head], 5);
    }
    const rep = cli(['heads', '--model', FIXTURE_DIR, '--repeated', '3', '--seed', '5']);
    expect(rep.stderr).toBe('');
    expect(rep.json).toMatchObject({ repeated_sequences: 3, seed: 5 });
    for (const h of rep.json.heads) {
      for (const k of ['prev_token', 'self', 'induction']) {
        expect(h[k]).toBeGreaterThanOrEqual(0);
        expect(h[k]).toBeLessThanOrEqual(1);
      }
    }
    const bad = cli(['heads', '--model', FIXTURE_DIR, '--repeated', '0']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/--repeated/);
  });

  it('refuses bad requests with one line', () => {
    const base = ['--model', FIXTURE_DIR, '--ids', ids.join(','), '--target', '#3'];
    const bad: Array<[string[], RegExp]> = [
      [['attribute', ...base, '--method', 'magic'], /--method: "magic"/],
      [['attribute', ...base, '--distractor', '#4', '--target-kind', 'logprob'], /--distractor is only used/],
      [['path', ...base, '--positions', String(T)], /--positions/],
      [['attribute', '--model', 'gpt2-tiny', '--text', 'hello', '--target', 'hello world', '--method', 'gxa'], /not a single token/],
    ];
    for (const [args, msg] of bad) {
      const r = cli(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(msg);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});
