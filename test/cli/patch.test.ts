import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { directLogitAttribution } from '../../src/analysis/dla';
import { patch } from '../../src/analysis/patching';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { cli } from './run-cli';

describe('pathlight patch / dla / lens', () => {
  let model: Model;
  const clean = [3, 77, 400, 12, 12, 250];
  const corrupted = [3, 77, 401, 12, 12, 250];
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir('gpt2-tiny');
  });
  afterAll(() => model.dispose());

  it('patch prints the metrics and [T, N] scores per hook, equal to the library', async () => {
    const r = cli(['patch', '--model', 'gpt2-tiny', '--clean-ids', clean.join(','), '--corrupted-ids', corrupted.join(','), '--target', '#7', '--distractor', '#40', '--method', 'exact', '--direction', 'noising']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toMatchObject({ metric: 'logit_diff', method: 'exact', direction: 'noising', target: 7, distractor: 40 });
    expect(Object.keys(r.json.scores)).toEqual(['blocks.0.hook_resid_pre', 'blocks.0.attn.hook_z', 'blocks.0.mlp.hook_post', 'blocks.1.hook_resid_pre', 'blocks.1.attn.hook_z', 'blocks.1.mlp.hook_post']);
    expect(r.json.scores['blocks.0.attn.hook_z'].shape).toEqual([6, 4]);
    expect(r.json.scores['blocks.1.mlp.hook_post'].shape).toEqual([6, 256]);
    expect(r.json.scores['blocks.0.hook_resid_pre'].shape).toEqual([6, 1]);
    const lib = await patch(model, { clean, corrupted, target: 7, distractor: 40, method: 'exact', direction: 'noising' });
    expect(r.json.clean_metric).toBeCloseTo(lib.cleanMetric, 5);
    expect(r.json.corrupted_metric).toBeCloseTo(lib.corruptedMetric, 5);
    for (const [h, s] of Object.entries(lib.scores)) for (const i of [0, 2 * s.shape[1], s.data.length - 1]) expect(r.json.scores[h].data[i]).toBeCloseTo(s.data[i], 5);
  });

  it('patch --format csv prints hook,layer,position,unit,score rows', async () => {
    const r = cli(['patch', '--model', 'gpt2-tiny', '--clean', 'hello world', '--corrupted', 'jello world', '--target', '#7', '--method', 'relp', '--hooks', 'heads,resid', '--positions', 'last', '--format', 'csv']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.json).toBeNull();
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toBe('hook,layer,position,unit,score');
    // 2 layers × (4 heads + 1 residual vector) at the last position.
    expect(lines).toHaveLength(1 + 2 * 5);
    const ids = model.tokenizer!.encode('hello world');
    const lib = await patch(model, { clean: ids, corrupted: model.tokenizer!.encode('jello world'), target: 7, method: 'relp', hooks: ['heads', 'resid'], positions: 'last' });
    const T = ids.length;
    for (const line of lines.slice(1)) {
      const [hook, layer, pos, unit, score] = line.split(',');
      expect(Number(pos)).toBe(T - 1);
      expect(hook.startsWith(`blocks.${layer}.`)).toBe(true);
      const s = lib.scores[hook];
      expect(Number(score)).toBeCloseTo(s.data[(T - 1) * s.shape[1] + Number(unit)], 5);
    }
  });

  it('patch refuses prompts of different lengths with one line naming both lengths', () => {
    const r = cli(['patch', '--model', 'gpt2-tiny', '--clean-ids', '1,2,3', '--corrupted-ids', '1,2', '--target', '#7', '--method', 'atp']);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/clean prompt has 3 tokens, the corrupted prompt 2/);
    const m = cli(['patch', '--model', 'gpt2-tiny', '--clean-ids', '1,2', '--corrupted-ids', '1,3', '--target', '#7', '--method', 'gradient']);
    expect(m.stderr).toMatch(/--method: "gradient" is not one of exact, atp, relp/);
  });

  it('dla and lens print per-position values that reconstruct the metric', async () => {
    const ids = [3, 77, 400, 12];
    const d = cli(['dla', '--model', 'gpt2-tiny', '--ids', ids.join(','), '--target', '#7', '--distractor', '#40']);
    expect(d.stderr).toBe('');
    expect(d.json.metric).toBe('logit_diff');
    const lib = await directLogitAttribution(model, { ids, target: 7, distractor: 40 });
    expect(d.json.scores['blocks.1.mlp.hook_post'].shape).toEqual([4, 256]);
    for (let t = 0; t < 4; t++) {
      expect(d.json.reconstruction[t]).toBeCloseTo(d.json.values[t], 3);
      expect(d.json.values[t]).toBeCloseTo(lib.values[t], 5);
    }
    expect(Object.keys(d.json.terms)).toContain('blocks.1.attn.b_O');
    const l = cli(['lens', '--model', 'gpt2-tiny', '--ids', ids.join(','), '--target', '#7', '--metric', 'logprob']);
    expect(l.stderr).toBe('');
    expect(l.json.hooks).toHaveLength(4);
    expect(l.json.values['blocks.1.hook_resid_post'][3]).toBeCloseTo(l.json.final[3], 4);
    expect(l.json.top['blocks.0.hook_resid_pre']).toHaveLength(4);
  });
});
