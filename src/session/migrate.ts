/**
 * Upgrades older session objects to the current version. A migration maps fields by name without
 * validating them: whatever it produces goes through the current schema's repair (normalize.ts), so a bad
 * field of an old link falls back field by field like a bad field of a new one.
 */
import { CURRENT_VERSION, defaultSessionV1 } from './schema';

type Obj = Record<string, unknown>;

const isObj = (x: unknown): x is Obj => typeof x === 'object' && x !== null && !Array.isArray(x);

/** The fields each version knows (unknown fields are reported, then dropped). */
export const V1_FIELDS = Object.keys({ ...defaultSessionV1(), modelUrl: 0, backend: 0, target: 0, distractor: 0, layer: 0, selected: 0, tab: 0 });

/** v1 (flat) → v2 (grouped). `v1` is the merged object (v1 defaults + the link's fields). */
export function migrateV1toV2(v1: Obj, notices: string[]): Obj {
  const unknown = Object.keys(v1).filter((k) => !V1_FIELDS.includes(k));
  if (unknown.length) notices.push(`Ignored unknown field${unknown.length > 1 ? 's' : ''} ${unknown.map((k) => `"${k}"`).join(', ')} of an older (v1) link.`);
  const out: Obj = { v: 2 };
  out.model = v1.modelUrl !== undefined ? { kind: 'url', url: v1.modelUrl } : { kind: 'bundled', name: v1.model };
  if (v1.backend !== undefined) out.backend = v1.backend;
  out.prompt = v1.prompt;
  if (v1.target !== undefined) {
    out.target = v1.distractor !== undefined ? { token: v1.target, kind: 'logit_diff', distractor: v1.distractor } : { token: v1.target, kind: 'logit' };
  }
  out.method = { name: v1.method, steps: v1.steps, beam: v1.beam, positions: v1.positions === 'last' ? 'target' : v1.positions, ran: false };
  if (v1.layer !== undefined) (out.method as Obj).layer = v1.layer;
  out.edits = Array.isArray(v1.edits)
    ? v1.edits.map((e) => {
        if (!isObj(e)) return e;
        const { off, ...rest } = e;
        return { ...rest, enabled: off !== true };
      })
    : v1.edits;
  out.selected = v1.selected === undefined ? [] : [v1.selected];
  out.view = { tab: v1.tab ?? 'graph', layer: 0, head: 0 };
  out.generation = { maxTokens: v1.maxTokens, temperature: v1.temperature, topK: v1.topK, seed: v1.seed };
  return out;
}

/** Migrations by source version: each takes version n to n + 1. */
const MIGRATIONS: Record<number, (o: Obj, notices: string[]) => Obj> = {
  1: migrateV1toV2,
};

/** Upgrades an object of `version` to the current version (objects of the current version pass through). */
export function migrate(version: number, obj: Obj, notices: string[]): Obj {
  let o = obj;
  for (let v = version; v < CURRENT_VERSION; v++) o = MIGRATIONS[v](o, notices);
  return o;
}
