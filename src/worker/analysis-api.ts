/**
 * The worker's analyses of the current prompt: path search, attribution, the attribution graph, patching, the
 * faithfulness meter, direct logit attribution and the logit lens. Each runs at analysis priority (the meter in the
 * background), is cancelled by its key, and returns its arrays as transferables.
 */
import * as Comlink from 'comlink';
import type { Model } from '../engine/model';
import { attribute } from '../analysis/attribution';
import { attributionGraph } from '../analysis/attribution-graph';
import { directLogitAttribution, logitLens } from '../analysis/dla';
import { faithfulnessMeter } from '../analysis/faithfulness-meter';
import { patch } from '../analysis/patching';
import { findPath } from '../analysis/path';
import type { EngineApi } from './api';
import type { Supersede } from './cancel';
import { PRIORITIES, type Scheduler } from './scheduler';

export interface AnalysisDeps {
  streams: Supersede;
  scheduler: Scheduler;
  requireModel: () => Model;
  /** Token strings (or class labels) of output ids. */
  names: (m: Model, ids: number[]) => string[];
}

export function analysisApi({ streams, scheduler, requireModel, names }: AnalysisDeps): Pick<EngineApi, 'path' | 'attribute' | 'attributionGraph' | 'patch' | 'faithfulnessMeter' | 'dla' | 'lens'> {
  return {
    async path(key, req, onProgress) {
      const t = streams.take(key);
      const r = await scheduler.run(PRIORITIES.analysis, (pause) => findPath(requireModel(), req, { signal: t.signal, onProgress, pause }));
      return Comlink.transfer(r, r.layerScores.map((a) => a.buffer as ArrayBuffer));
    },

    async attribute(key, req, onProgress) {
      const t = streams.take(key);
      const r = await scheduler.run(PRIORITIES.analysis, (pause) => attribute(requireModel(), req, { signal: t.signal, onProgress, pause }));
      return Comlink.transfer(r, Object.values(r.scores).map((s) => s.data.buffer as ArrayBuffer));
    },

    async attributionGraph(key, req, onProgress) {
      const t = streams.take(key);
      const g = await scheduler.run(PRIORITIES.analysis, (pause) => attributionGraph(requireModel(), req, { signal: t.signal, onProgress, pause }));
      t.check();
      return g;
    },

    async patch(key, req, onProgress) {
      const t = streams.take(key);
      const r = await scheduler.run(PRIORITIES.analysis, (pause) => patch(requireModel(), req, { signal: t.signal, onProgress, pause }));
      t.check();
      return Comlink.transfer(r, Object.values(r.scores).map((s) => s.data.buffer as ArrayBuffer));
    },

    async faithfulnessMeter(key, req, onProgress) {
      const t = streams.take(key);
      // Background work: exact runs for the nodes on screen wait for predictions and the analysis the user asked for.
      const r = await scheduler.run(PRIORITIES.background, (pause) => faithfulnessMeter(requireModel(), req, { signal: t.signal, onProgress, pause }));
      t.check();
      return r;
    },

    async dla(key, req) {
      const t = streams.take(key);
      const r = await scheduler.run(PRIORITIES.analysis, () => directLogitAttribution(requireModel(), req));
      t.check();
      return r;
    },

    async lens(key, req) {
      const t = streams.take(key);
      const m = requireModel();
      const r = await scheduler.run(PRIORITIES.analysis, () => logitLens(m, req));
      t.check();
      return { ...r, topTokens: Object.fromEntries(Object.entries(r.top).map(([h, ids]) => [h, names(m, ids)])) };
    },
  };
}
