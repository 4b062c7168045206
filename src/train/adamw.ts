import * as tf from '@tensorflow/tfjs';

export interface AdamWOptions {
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** Global-norm gradient clipping threshold (0 = off). */
  clip: number;
  /** Which parameters weight decay applies to, by name (default `AdamW.decays`: GPT-2's matrices). */
  decays?: (name: string) => boolean;
}

/**
 * AdamW (decoupled weight decay, Loshchilov & Hutter) over named variables. Weight decay applies to
 * matrices only (not biases, layer-norm gains or embeddings). Moments are variables so they can be saved.
 */
export class AdamW {
  readonly m = new Map<string, tf.Variable>();
  readonly v = new Map<string, tf.Variable>();
  step = 0;

  constructor(private params: Map<string, tf.Variable>, public opts: AdamWOptions) {
    for (const [k, p] of params) {
      this.m.set(k, tf.variable(tf.zerosLike(p), false));
      this.v.set(k, tf.variable(tf.zerosLike(p), false));
    }
  }

  static decays(name: string): boolean {
    return name.endsWith('.weight') && !/ln_|wte|wpe/.test(name);
  }

  /** Applies one update; returns the gradient's global norm before clipping. */
  apply(grads: Map<string, tf.Tensor>, lr: number): number {
    this.step += 1;
    const { beta1, beta2, eps, weightDecay, clip } = this.opts;
    const decays = this.opts.decays ?? AdamW.decays;
    const t = this.step;
    const normT = tf.tidy(() => tf.sqrt(tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))))));
    const norm = normT.dataSync()[0];
    normT.dispose();
    const scale = clip > 0 && norm > clip ? clip / norm : 1;
    const bc1 = 1 - beta1 ** t;
    const bc2 = 1 - beta2 ** t;
    tf.tidy(() => {
      for (const [k, p] of this.params) {
        const g0 = grads.get(k);
        if (!g0) continue;
        const g = scale === 1 ? g0 : tf.mul(g0, scale);
        const m = this.m.get(k)!;
        const v = this.v.get(k)!;
        m.assign(tf.add(tf.mul(m, beta1), tf.mul(g, 1 - beta1)));
        v.assign(tf.add(tf.mul(v, beta2), tf.mul(tf.square(g), 1 - beta2)));
        const update = tf.div(tf.div(m, bc1), tf.add(tf.sqrt(tf.div(v, bc2)), eps));
        const decayed = decays(k) && weightDecay > 0 ? tf.mul(p, 1 - lr * weightDecay) : p;
        p.assign(tf.sub(decayed, tf.mul(update, lr)));
      }
    });
    return norm;
  }

  dispose(): void {
    for (const t of [...this.m.values(), ...this.v.values()]) t.dispose();
  }
}
