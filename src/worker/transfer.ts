import type { RunResult } from '../engine/types';

/** The ArrayBuffers of a run result, to transfer (not copy) to the page. */
export function resultBuffers(r: RunResult): ArrayBuffer[] {
  const out = new Set<ArrayBuffer>();
  if (r.logits) out.add(r.logits.data.buffer as ArrayBuffer);
  if (r.targetValues) out.add(r.targetValues.buffer as ArrayBuffer);
  for (const t of Object.values(r.activations)) out.add(t.data.buffer as ArrayBuffer);
  for (const t of Object.values(r.grads)) out.add(t.data.buffer as ArrayBuffer);
  return [...out];
}
