/**
 * The worker's steering and layer-edge requests (the steering panel and the attribution methods' graph edges),
 * kept beside engine.worker.ts, which gives them its model, streams, scheduler and helpers.
 */
import * as Comlink from 'comlink';
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { layerEdges } from '../analysis/layer-edges';
import { steeringHook } from '../analysis/steering';
import { steeringSweep } from '../analysis/steering-sweep';
import { contrastiveVector } from '../analysis/vectors';
import type { Means } from '../analysis/generate';
import type { EngineApi } from './api';
import type { Supersede } from './cancel';
import { PRIORITIES, type Scheduler } from './scheduler';

export interface WorkerDeps {
  streams: Supersede;
  scheduler: Scheduler;
  requireModel: () => Model;
  meansFor: (m: Model, edits: { hook: string; op: string }[] | undefined) => Promise<Means | undefined>;
  names: (m: Model, ids: number[]) => string[];
  tokenize: (text: string) => Promise<{ ids: number[] }>;
}

export function steeringEdgesApi(d: WorkerDeps): Pick<EngineApi, 'layerEdges' | 'steeringVector' | 'steeringSweep'> {
  return {
    async layerEdges(key, req, onProgress) {
      const t = d.streams.take(key);
      const m = d.requireModel();
      const r = await d.scheduler.run(PRIORITIES.analysis, async (pause) => layerEdges(m, { ...req, means: await d.meansFor(m, req.edits) }, { signal: t.signal, onProgress, pause }));
      t.check();
      return r;
    },

    async steeringVector(key, req, onProgress) {
      const t = d.streams.take(key);
      const m = d.requireModel();
      const hook = steeringHook(m.config, req.layer, req.point);
      const encode = async (set: string[], which: string) => {
        const texts = set.map((x) => x.trim()).filter(Boolean);
        if (texts.length === 0) fail(`the ${which} prompts are empty: give at least one, one per line`);
        const out: number[][] = [];
        for (const x of texts) {
          const ids = (await d.tokenize(x)).ids;
          if (ids.length > m.config.nCtx) fail(`the ${which} prompt "${x.slice(0, 40)}" is ${ids.length} tokens long; the model reads at most ${m.config.nCtx}`);
          out.push(ids);
        }
        return out;
      };
      const [positive, negative] = [await encode(req.positive, 'positive'), await encode(req.negative, 'negative')];
      const v = await d.scheduler.run(PRIORITIES.analysis, () => contrastiveVector(m, { positive, negative, hook, reduce: req.reduce }, { signal: t.signal, onProgress }));
      t.check();
      return Comlink.transfer({ ...v, hook }, [v.vector.buffer as ArrayBuffer]);
    },

    async steeringSweep(key, req, onProgress) {
      const t = d.streams.take(key);
      const m = d.requireModel();
      const r = await d.scheduler.run(PRIORITIES.analysis, async (pause) => steeringSweep(m, { ...req, means: await d.meansFor(m, req.edits) }, { signal: t.signal, onProgress, pause }));
      t.check();
      return { ...r, generatedTokens: r.rows.map((x) => d.names(m, x.generated)), topTokens: d.names(m, r.rows.map((x) => x.top.id)), targetToken: d.names(m, [r.target])[0] };
    },
  };
}
