import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { AdamW } from '../../src/train/adamw';
import { learningRate } from '../../src/train/schedule';

beforeAll(async () => {
  await tf.setBackend('cpu');
});

/** Reference AdamW written out by hand for scalars. */
function reference(p0: number[], grads: number[][], o: { lr: number; b1: number; b2: number; eps: number; wd: number; clip: number; decay: boolean[] }) {
  const p = [...p0];
  const m = p.map(() => 0);
  const v = p.map(() => 0);
  grads.forEach((g0, s) => {
    const t = s + 1;
    const norm = Math.sqrt(g0.reduce((a, x) => a + x * x, 0));
    const k = o.clip > 0 && norm > o.clip ? o.clip / norm : 1;
    for (let i = 0; i < p.length; i++) {
      const g = g0[i] * k;
      m[i] = o.b1 * m[i] + (1 - o.b1) * g;
      v[i] = o.b2 * v[i] + (1 - o.b2) * g * g;
      const mh = m[i] / (1 - o.b1 ** t);
      const vh = v[i] / (1 - o.b2 ** t);
      if (o.decay[i]) p[i] *= 1 - o.lr * o.wd;
      p[i] -= (o.lr * mh) / (Math.sqrt(vh) + o.eps);
    }
  });
  return p;
}

describe('AdamW', () => {
  it('first step by hand: p − lr·wd·p − lr·sign(g) (bias-corrected m̂/√v̂ = g/|g|)', () => {
    const w = tf.variable(tf.tensor2d([[2]]));
    const b = tf.variable(tf.tensor1d([2]));
    const params = new Map<string, tf.Variable>([['h.0.mlp.c_fc.weight', w], ['h.0.mlp.c_fc.bias', b]]);
    const opt = new AdamW(params, { beta1: 0.9, beta2: 0.95, eps: 0, weightDecay: 0.5, clip: 0 });
    opt.apply(new Map<string, tf.Tensor>([['h.0.mlp.c_fc.weight', tf.tensor2d([[0.3]])], ['h.0.mlp.c_fc.bias', tf.tensor1d([-4])]]), 0.1);
    // weight: 2·(1 − 0.1·0.5) − 0.1·1 = 1.8; bias (no decay): 2 + 0.1 = 2.1
    expect(w.dataSync()[0]).toBeCloseTo(1.8, 6);
    expect(b.dataSync()[0]).toBeCloseTo(2.1, 6);
  });

  it('matches the hand-written reference over several clipped steps', () => {
    const names = ['h.0.attn.c_attn.weight', 'wte.weight', 'ln_f.weight', 'h.1.mlp.c_proj.bias'];
    const p0 = [0.5, -1, 1, 0.25];
    const vars = names.map((_, i) => tf.variable(tf.tensor1d([p0[i]])));
    const params = new Map(names.map((n, i) => [n, vars[i]] as [string, tf.Variable]));
    expect(names.map((n) => AdamW.decays(n))).toEqual([true, false, false, false]);
    const opts = { beta1: 0.8, beta2: 0.9, eps: 1e-3, weightDecay: 0.1, clip: 1 };
    const opt = new AdamW(params, opts);
    const grads = [
      [3, -4, 0, 0], // norm 5 → clipped to 1
      [0.1, 0.2, -0.3, 0.05],
      [-0.5, 0.5, 0.5, -0.5], // norm exactly 1: not clipped
    ];
    const lrs = [0.05, 0.05, 0.05];
    const norms: number[] = [];
    grads.forEach((g, s) => {
      norms.push(opt.apply(new Map(names.map((n, i) => [n, tf.tensor1d([g[i]])] as [string, tf.Tensor])), lrs[s]));
    });
    expect(norms[0]).toBeCloseTo(5, 5);
    const want = reference(p0, grads, { lr: 0.05, b1: 0.8, b2: 0.9, eps: 1e-3, wd: 0.1, clip: 1, decay: [true, false, false, false] });
    vars.forEach((v, i) => expect(v.dataSync()[0]).toBeCloseTo(want[i], 5));
    expect(opt.step).toBe(3);
  });
});

describe('learning-rate schedule', () => {
  const o = { peak: 1e-3, warmup: 10, total: 110, minRatio: 0.1 };
  it('warms up linearly, peaks, then decays on a cosine to peak·minRatio', () => {
    expect(learningRate(0, o)).toBeCloseTo(1e-4, 10);
    expect(learningRate(4, o)).toBeCloseTo(5e-4, 10);
    expect(learningRate(10, o)).toBeCloseTo(1e-3, 10);
    expect(learningRate(60, o)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5), 10);
    expect(learningRate(110, o)).toBeCloseTo(1e-4, 10);
    for (let s = 11; s < 110; s++) expect(learningRate(s, o)).toBeLessThanOrEqual(learningRate(s - 1, o) + 1e-15);
  });
  it('warm restarts: each cycle warms up to its own peak and decays to peak·minRatio at the next restart', () => {
    const r = { ...o, total: 210, restarts: [{ at: 110, peak: 5e-4 }] };
    for (let s = 0; s < 110; s++) expect(learningRate(s, r)).toBeCloseTo(learningRate(s, o), 12);
    expect(learningRate(109, r)).toBeCloseTo(1e-3 * (0.1 + 0.9 * 0.5 * (1 + Math.cos((Math.PI * 99) / 100))), 10);
    expect(learningRate(110, r)).toBeCloseTo(5e-5, 10);
    expect(learningRate(120, r)).toBeCloseTo(5e-4, 10);
    expect(learningRate(165, r)).toBeCloseTo(5e-4 * (0.1 + 0.9 * 0.5), 10);
    expect(learningRate(210, r)).toBeCloseTo(5e-5, 10);
  });
});
