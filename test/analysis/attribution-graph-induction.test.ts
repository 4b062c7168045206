/**
 * The known circuit in the attribution graph of the bundled induction model (public/models/induction/MODEL.md): at a
 * repeated position q whose token x first occurred at i, the layer-1 induction head at q attends to i + 1 and
 * copies the token there; it finds i + 1 through its keys, where the previous-token head L0.H0 wrote "the previous
 * token was x". So the graph must hold the edge L0.H0@(i+1) → L1.H@q, across positions, carried by the queries and
 * keys (K-composition). The heads are identified independently, from their attention patterns.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { attributionGraph } from '../../src/analysis/attribution-graph';
import { headPatternScores } from '../../src/analysis/head-patterns';
import type { Model } from '../../src/engine/model';
import { loadModelDir } from '../../src/engine/node-load';
import { inductionEvalSet } from '../../src/train/induction-data';

const DIR = join(__dirname, '..', '..', 'public', 'models', 'induction');
const bundled = existsSync(join(DIR, 'model.safetensors'));

/** Repeated positions q whose token occurred exactly once before, at i, early enough for L0.H0 (it acts below 32). */
function cases(n: number): Array<{ ids: number[]; q: number; i: number }> {
  const out: Array<{ ids: number[]; q: number; i: number }> = [];
  for (const s of inductionEvalSet(24, 65, 64, 4242)) {
    for (const q of s.repeated) {
      const before = s.ids.slice(0, q).flatMap((x, k) => (x === s.ids[q] ? [k] : []));
      if (before.length === 1 && before[0] + 1 < 28 && q > before[0] + 3) {
        out.push({ ids: s.ids.slice(0, q + 2), q, i: before[0] });
        break;
      }
    }
    if (out.length === n) break;
  }
  return out;
}

describe.skipIf(!bundled)('attribution graph of the induction model', () => {
  let model: Model;
  beforeAll(async () => {
    await tf.setBackend('wasm');
    model = await loadModelDir(DIR);
  });
  afterAll(() => model?.dispose());

  it('keeps the edge from the previous-token head at i + 1 to an induction head at q, among its strongest inputs, through the keys', async () => {
    const seqs = cases(8);
    expect(seqs.length).toBe(8);
    const patterns = await headPatternScores(model, inductionEvalSet(6, 64, 64, 777));
    const prev = Array.from(patterns.prevToken[0]);
    const prevHead = prev.indexOf(Math.max(...prev));
    const inductionHeads = Array.from(patterns.induction[1].keys()).filter((h) => patterns.induction[1][h] > 0.3);
    expect(prevHead).toBe(0);
    expect(inductionHeads.length).toBeGreaterThan(0);
    let found = 0;
    let predicted = 0;
    for (const { ids, q, i } of seqs) {
      const g = await attributionGraph(model, { ids: ids.slice(0, q + 1), target: { kind: 'logit', token: ids[q + 1] } });
      if (g.target.prob < 0.5) continue; // the model does not copy here: no circuit to find
      predicted++;
      const best = inductionHeads
        .map((h) => {
          const into = g.edges.filter((e) => e.target === `L1.H${h}@${q}`);
          const e = into.find((x) => x.source === `L${0}.H${prevHead}@${i + 1}`);
          const max = Math.max(0, ...into.map((x) => Math.abs(x.weight)));
          return { h, e, ratio: e ? Math.abs(e.weight) / max : 0 };
        })
        .sort((a, b) => b.ratio - a.ratio)[0];
      const where = `q = ${q}, i = ${i}: ${JSON.stringify(best)}`;
      expect(best.e, where).toBeDefined();
      // Substantial: at least half the largest input of that induction head, and positive (it raises the head's output).
      expect(best.ratio, where).toBeGreaterThanOrEqual(0.5);
      expect(best.e!.weight, where).toBeGreaterThan(0);
      // Through the keys: most of the weight is the pattern's (qk) part, not the value path.
      expect(best.e!.qk! / best.e!.weight, where).toBeGreaterThan(0.5);
      // Among the kept edges of the whole graph, one of the strongest.
      const rank = [...g.edges].sort((a, b) => Math.abs(b.weight) - Math.abs(a.weight)).findIndex((x) => x === best.e);
      expect(rank, where).toBeLessThan(Math.max(10, g.edges.length / 5));
      found++;
    }
    expect(predicted).toBeGreaterThanOrEqual(5);
    expect(found).toBe(predicted);
  });
});
