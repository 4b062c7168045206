/** Figures for one token of a next-token distribution, and how the panels print them (pure; tested in Node). */
import type { Distribution } from '../store/store';

export interface TokenStats {
  id: number;
  prob: number;
  logit: number;
  logprob: number;
  /** 1 = the most likely token. */
  rank: number;
}

/** Each distribution's figures computed so far: a rank is a pass over the whole vocabulary (50,257 at GPT-2). */
const computed = new WeakMap<ArrayLike<number>, Map<number, TokenStats>>();

export function tokenStats(d: Distribution, id: number): TokenStats {
  let byId = computed.get(d.probs);
  if (!byId) computed.set(d.probs, (byId = new Map()));
  const known = byId.get(id);
  if (known) return known;
  const p = d.probs[id];
  let above = 0;
  for (let i = 0; i < d.probs.length; i++) if (d.probs[i] > p || (d.probs[i] === p && i < id)) above++;
  const stats = { id, prob: p, logit: d.logits[id], logprob: Math.log(p), rank: above + 1 };
  byId.set(id, stats);
  return stats;
}

/** A probability with the precision it needs: 42.1%, 0.53%, 0.0071%, 3.2e-9. */
export function formatProb(p: number): string {
  if (!(p > 0)) return '0';
  const pct = 100 * p;
  if (pct >= 10) return `${pct.toFixed(1)}%`;
  if (pct >= 0.001) return `${pct.toPrecision(2)}%`;
  return p.toExponential(1);
}

/** A signed difference, e.g. +1.23 / −0.40. */
export function formatDelta(x: number, digits = 2): string {
  const s = Math.abs(x).toFixed(digits);
  return x >= 0 ? `+${s}` : `−${s}`;
}
