import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encode as encodePng } from 'fast-png';
import { afterAll, describe, expect, it } from 'vitest';
import { worstRatio } from '../engine/fixture';
import { VIT_DIR, vitReference } from '../engine/vit-fixture';
import { cli } from './run-cli';

/** `pathlight run | attribute | path --image` on the vit-tiny fixture, against its PyTorch reference. */
const ref = vitReference();
const dir = mkdtempSync(join(tmpdir(), 'pathlight-vit-cli-'));
const image = join(dir, 'raw.png');
writeFileSync(image, encodePng({ width: 32, height: 32, data: Uint8Array.from(ref.raw_image_uint8.data), channels: 3, depth: 8 }));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function ok(args: string[]) {
  const r = cli(args);
  expect(r.stderr, args.join(' ')).toBe('');
  expect(r.code).toBe(0);
  return r.json;
}

describe('pathlight on vit-tiny with --image', () => {
  it('run: logits [labels], captures [tokens, units] and [heads, tokens, tokens], --grad CLASS, --edit at a token', () => {
    const hooks = ['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post', 'blocks.0.attn.hook_pattern', 'hook_embed'];
    const j = ok(['run', '--model', VIT_DIR, '--image', image, ...hooks.flatMap((h) => ['--capture', h]), '--grad', 'truck']);
    expect(j.logits.shape).toEqual([10]);
    expect(worstRatio(j.logits.data, ref.logits.data)).toBeLessThanOrEqual(1);
    expect(j.tokens.slice(0, 2)).toEqual(['[CLS]', 'patch 0,0']);
    expect(j.tokens.length).toBe(17);
    expect(j.labels[9]).toBe('truck');
    expect(j.activations['blocks.0.attn.hook_pattern'].shape).toEqual([4, 17, 17]);
    for (const h of hooks) expect(worstRatio(j.activations[h].data, ref.activations[h].data), h).toBeLessThanOrEqual(1);
    expect(j.target).toMatchObject({ kind: 'logit', position: 0, token: 9, label: 'truck' });
    for (const h of ['blocks.0.mlp.hook_post', 'blocks.1.mlp.hook_post']) {
      expect(j.grads[h].shape).toEqual([17, 192]);
      expect(worstRatio(j.grads[h].data, ref.grad_target_logit_wrt_mlp_post[h].data), h).toBeLessThanOrEqual(1);
    }
    // The reference's fourth intervention: neuron 11 of layer 0 clamped to 5 at the last patch (token 16).
    const e = ok(['run', '--model', VIT_DIR, '--image', image, '--edit', 'blocks.0.mlp.hook_post:11:clamp=5@16', '--backend', 'cpu']);
    expect(e.backend).toBe('cpu');
    expect(worstRatio(e.logits.data, ref.interventions[3].logits)).toBeLessThanOrEqual(1);
    const g = ok(['run', '--model', VIT_DIR, '--image', image, '--capture', 'blocks.1.mlp.hook_post', '--grad', '#3']);
    expect(g.target.label).toBe('cat');
  });

  it('attribute --method ig at every token gives the reference layer IG; gxa and path run on the image', () => {
    const ig = ref.layer_ig;
    const j = ok(['attribute', '--model', VIT_DIR, '--image', image, '--target', 'truck', '--method', 'ig', '--steps', String(ig.steps), '--layer', '1', '--kinds', 'neuron', '--positions', 'all']);
    expect(j.image).toBe(image);
    expect(j.target).toMatchObject({ kind: 'logit', position: 0, token: 9, token_string: 'truck' });
    expect(worstRatio(j.scores[ig.hook].data, ig.attributions.data)).toBeLessThanOrEqual(1);
    expect(j.warnings).toEqual([]);
    const gxa = ok(['attribute', '--model', VIT_DIR, '--image', image, '--target', '9', '--method', 'gxa', '--positions', 'all']);
    // gxa of layer 1 at every token: zero away from [CLS] (only [CLS] reaches the classifier from the last layer).
    const s1 = gxa.scores['blocks.1.mlp.hook_post'].data as number[];
    expect(s1.slice(192).every((x) => x === 0)).toBe(true);
    expect(gxa.scores['blocks.0.mlp.hook_post'].data.slice(192).some((x: number) => x !== 0)).toBe(true);
    const p = ok(['path', '--model', VIT_DIR, '--image', image, '--target', 'truck', '--steps', '8', '--positions', 'all']);
    expect(p.path.length).toBe(2);
    expect(p.positions).toEqual(Array.from({ length: 17 }, (_, i) => i));
    expect(p.target.token_string).toBe('truck');
  });

  it('bad inputs: text for an image model, an image for a text model, a corrupt PNG, an unknown class', () => {
    const bad = (args: string[], message: RegExp) => {
      const r = cli(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
    };
    bad(['run', '--model', VIT_DIR, '--text', 'a cat'], /classifies images: give --image FILE\.png\|\.jpg, not --ids or --text/);
    bad(['run', '--model', VIT_DIR], /classifies images: give --image FILE\.png\|\.jpg/);
    bad(['run', '--model', 'gpt2-tiny', '--image', image], /reads text, not images/);
    const cut = join(dir, 'cut.png');
    writeFileSync(cut, encodePng({ width: 32, height: 32, data: Uint8Array.from(ref.raw_image_uint8.data), channels: 3, depth: 8 }).subarray(0, 50));
    bad(['run', '--model', VIT_DIR, '--image', cut], /cut\.png is a corrupt PNG/);
    bad(['attribute', '--model', VIT_DIR, '--image', image, '--target', 'giraffe'], /"giraffe" is not a class of this model/);
    bad(['attribute', '--model', VIT_DIR, '--image', image, '--target', 'truck', '--position', '3'], /--position: 3 is above the maximum 0/);
  });
});
