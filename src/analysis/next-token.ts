/**
 * Next-token outputs of one prompt, clean and under edits, for the workbench's predictions: the clean run is made
 * once per prompt and kept as a suffix runner (src/analysis/suffix.ts), so an edited prediction recomputes only
 * the positions from the first edited one on, from the first edited layer on. Exact (the suffix run's argument);
 * edits a suffix run cannot start from (the embeddings, attention patterns, the final norm) and non-causal
 * (vision) models step aside to a whole run.
 */
import { hookInfo } from '../engine/hooks';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import { isCausal, type Edit, type HookName } from '../engine/types';
import { SuffixRunner } from './suffix';

export type Means = Record<HookName, Float32Array | number[]>;

/** How a result was computed: the kept clean outputs, a suffix run, or a whole forward pass. */
export type NextTokenRoute = 'cached' | 'suffix' | 'full';

export interface NextTokenResult {
  /** The outputs at the last position of the prompt given: [V]. */
  logits: Float32Array;
  route: NextTokenRoute;
  /** With route 'suffix': the first recomputed position and layer. */
  from?: { position: number; layer: number };
}

/** The first position and layer a suffix run would recompute for these edits, or null when it cannot start inside the blocks. */
export function suffixStart(model: Model, edits: Edit[]): { position: number; layer: number } | null {
  const cfg = model.config;
  if (!isCausal(cfg) || edits.length === 0) return null;
  let position = Infinity;
  let layer = cfg.nLayer;
  for (const e of edits) {
    const info = hookInfo(e.hook, cfg);
    if (info.layer < 0 || info.layer >= cfg.nLayer || info.layout === 'pattern') return null;
    layer = Math.min(layer, info.layer);
    position = Math.min(position, e.positions === null ? 0 : Math.min(...e.positions));
  }
  return Number.isFinite(position) ? { position, layer } : null;
}

/**
 * Keeps the clean run of the latest prompt (one model, one prompt at a time). `dispose` frees its tensors; call it
 * before the model's weights are freed.
 */
export class NextTokenCache {
  private runner: SuffixRunner | null = null;
  private key = '';
  /** Requests run one at a time (a clean and an edited prediction arrive together and would interleave). */
  private chain: Promise<unknown> = Promise.resolve();

  private serial<T>(f: () => Promise<T>): Promise<T> {
    const p = this.chain.then(f);
    this.chain = p.catch(() => undefined);
    return p;
  }

  /** The clean outputs at the last position of `ids`; made (and kept) by one forward pass per new prompt. */
  clean(model: Model, ids: number[]): Promise<NextTokenResult> {
    return this.serial(() => this.cleanNow(model, ids));
  }

  /** The outputs at the last position of `ids` under `edits` (already cut to the prompt's window). */
  edited(model: Model, ids: number[], edits: Edit[], means?: Means): Promise<NextTokenResult> {
    return this.serial(() => this.editedNow(model, ids, edits, means));
  }

  /** Frees the kept run (after any request in flight). */
  dispose(): void {
    const r = this.runner;
    this.runner = null;
    this.key = '';
    if (r) void this.serial(async () => r.dispose());
  }

  private async cleanNow(model: Model, ids: number[]): Promise<NextTokenResult> {
    const key = ids.join(',');
    if (this.runner && this.runner.model === model && this.key === key && this.runner.cleanLogits) {
      return { logits: this.runner.cleanLogits.slice(), route: 'cached' };
    }
    this.runner?.dispose();
    this.runner = null;
    this.key = '';
    if (!isCausal(model.config)) {
      const r = await runModel(model, { inputIds: [ids], logits: 'last' });
      return { logits: r.logits!.data.slice(), route: 'full' };
    }
    this.runner = await SuffixRunner.create(model, ids, 0, [], { logits: true, keepPrefix: false });
    this.key = key;
    return { logits: this.runner.cleanLogits!.slice(), route: 'full' };
  }

  private async editedNow(model: Model, ids: number[], edits: Edit[], means?: Means): Promise<NextTokenResult> {
    if (edits.length === 0) return this.cleanNow(model, ids);
    const from = suffixStart(model, edits);
    // From the first layer at the first position a suffix run recomputes everything a whole run does, with more
    // steps (measured at GPT-2-small size in the browser: 248 vs 216 ms): the whole run then.
    if (from && from.position < ids.length && (from.position > 0 || from.layer > 0)) {
      await this.cleanNow(model, ids);
      const runner = this.runner;
      if (runner) {
        const r = await runner.run({ edits: [edits], targets: [{ kind: 'logit', token: 0 }], start: from.position, means, logits: true });
        return { logits: r.logits!.data, route: 'suffix', from };
      }
    }
    const r = await runModel(model, { inputIds: [ids], edits, logits: 'last', means });
    return { logits: r.logits!.data.slice(), route: 'full' };
  }
}
