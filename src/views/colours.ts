/**
 * The one colour language of the workbench (graph, heatmap, cards, legends): a diverging scale, blue for positive
 * (promotes the target / activation above zero), red for negative, white at zero, stronger with |value| / maxAbs.
 */
import * as d3 from 'd3';

export function divergingColour(value: number, maxAbs: number, floor = 0.35): string {
  const t = Math.min(1, Math.abs(value) / Math.max(1e-12, maxAbs));
  return value >= 0 ? d3.interpolateBlues(floor + (1 - floor) * 0.95 * t) : d3.interpolateReds(floor + (1 - floor) * 0.95 * t);
}

/** The same scale as an rgba fill over white (for text backgrounds such as token strips): alpha grows with |value|. */
export function divergingFill(value: number, maxAbs: number): string {
  const a = Math.min(1, Math.abs(value) / Math.max(1e-12, maxAbs));
  return value >= 0 ? `rgba(37,99,235,${a.toFixed(3)})` : `rgba(220,38,38,${a.toFixed(3)})`;
}
