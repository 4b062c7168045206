/** Which edits apply to a window of a longer sequence (generation's sliding window, its key/value cache, predictions). */
import type { Edit } from '../engine/types';

/**
 * The edits that apply to a window [offset, offset + T) of the full sequence: positions shifted into the window,
 * positions outside it dropped, edits left with no position dropped.
 */
export function editsForWindow(edits: Edit[], offset: number, T: number): Edit[] {
  const out: Edit[] = [];
  for (const e of edits) {
    if (e.positions === null) {
      out.push(e);
      continue;
    }
    const positions = e.positions.map((p) => p - offset).filter((p) => p >= 0 && p < T);
    if (positions.length > 0) out.push({ ...e, positions });
  }
  return out;
}

