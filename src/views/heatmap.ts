/**
 * Heatmaps drawn on a canvas (cells) with SVG axes: activations (tokens × neurons) and attention patterns
 * (query × key). React owns the container; this owns the canvas and SVG inside it.
 */
import * as d3 from 'd3';
import { divergingColour } from './colours';

export interface HeatmapData {
  rows: string[];
  cols: string[];
  /** Row-major [rows, cols]. */
  values: Float32Array;
  /** The workbench's diverging scale around 0 (activations: blue positive, red negative) or sequential from 0 (probabilities). */
  diverging: boolean;
  title: string;
}

export interface HeatmapHandlers {
  /** A cell was clicked (row, column). */
  onCell?: (row: number, col: number) => void;
}

const LEGEND_W = 120;

function cellColour(d: HeatmapData, maxAbs: number): (v: number) => string {
  if (d.diverging) return (v) => divergingColour(v, maxAbs, 0);
  const s = d3.scaleSequential(d3.interpolateBlues).domain([0, maxAbs]);
  return (v) => s(v);
}

const CELL = 16;
const M = { l: 90, t: 60 };

export function drawHeatmap(el: HTMLElement, d: HeatmapData, handlers: HeatmapHandlers = {}): void {
  const R = d.rows.length;
  const C = d.cols.length;
  const w = Math.max(M.l + C * CELL + 10, M.l + LEGEND_W + 60);
  const h = M.t + R * CELL + 10;
  let root = d3.select(el).select<HTMLDivElement>('div.heatmap');
  if (root.empty()) {
    root = d3.select(el).append('div').attr('class', 'heatmap').style('position', 'relative');
    root.append('canvas');
    root.append('svg').style('position', 'absolute').style('left', '0').style('top', '0').style('overflow', 'visible');
  }
  const canvas = root.select<HTMLCanvasElement>('canvas').attr('width', w).attr('height', h).node()!;
  const ctx = canvas.getContext('2d')!;
  ctx.clearRect(0, 0, w, h);
  let maxAbs = 1e-9;
  for (const v of d.values) maxAbs = Math.max(maxAbs, Math.abs(v));
  const colour = cellColour(d, maxAbs);
  for (let r = 0; r < R; r++) {
    for (let c = 0; c < C; c++) {
      ctx.fillStyle = colour(d.values[r * C + c]);
      ctx.fillRect(M.l + c * CELL, M.t + r * CELL, CELL - 1, CELL - 1);
    }
  }
  const svg = root.select('svg').attr('width', w).attr('height', h);
  svg
    .selectAll('text.row')
    .data(d.rows)
    .join('text')
    .attr('class', 'row')
    .attr('x', M.l - 4)
    .attr('y', (_r, i) => M.t + i * CELL + CELL * 0.75)
    .attr('text-anchor', 'end')
    .attr('font-size', 11)
    .attr('font-family', 'monospace')
    .text((t) => t);
  svg
    .selectAll('text.col')
    .data(d.cols)
    .join('text')
    .attr('class', 'col')
    .attr('transform', (_c, i) => `translate(${M.l + i * CELL + CELL * 0.7},${M.t - 4}) rotate(-60)`)
    .attr('font-size', 11)
    .attr('font-family', 'monospace')
    .text((t) => t);
  svg
    .selectAll('text.title')
    .data([d.title])
    .join('text')
    .attr('class', 'title')
    .attr('x', 4)
    .attr('y', 14)
    .attr('font-size', 12)
    .text((t) => t);
  // Legend: the colour scale with its ends and zero.
  const lo = d.diverging ? -maxAbs : 0;
  const legend = svg.selectAll<SVGGElement, number>('g.legend').data([0]).join((e) => {
    const g = e.append('g').attr('class', 'legend');
    g.append('defs').append('linearGradient').attr('id', 'heat-legend-grad');
    g.append('rect').attr('class', 'bar');
    g.append('text').attr('class', 'lo');
    g.append('text').attr('class', 'hi');
    return g;
  });
  legend.attr('transform', `translate(${M.l},22)`).attr('data-testid', 'heatmap-legend');
  legend
    .select('linearGradient')
    .selectAll('stop')
    .data(d3.range(11))
    .join('stop')
    .attr('offset', (i) => `${i * 10}%`)
    .attr('stop-color', (i) => colour(lo + ((maxAbs - lo) * i) / 10));
  legend.select('rect.bar').attr('width', LEGEND_W).attr('height', 8).attr('fill', 'url(#heat-legend-grad)').attr('stroke', '#ccd');
  legend.select('text.lo').attr('x', -4).attr('y', 8).attr('text-anchor', 'end').attr('font-size', 10).text(lo.toPrecision(2));
  legend.select('text.hi').attr('x', LEGEND_W + 4).attr('y', 8).attr('font-size', 10).text(`${maxAbs.toPrecision(2)}${d.diverging ? ' (blue +, red −)' : ''}`);
  // Hover: the value of the cell under the pointer, as the hit area's tooltip.
  const hit = svg
    .selectAll<SVGRectElement, number>('rect.hit')
    .data([0])
    .join((e) => {
      const r = e.append('rect').attr('class', 'hit').attr('fill', 'transparent');
      r.append('title');
      return r;
    })
    .attr('x', M.l)
    .attr('y', M.t)
    .attr('width', C * CELL)
    .attr('height', R * CELL);
  hit.style('cursor', handlers.onCell ? 'pointer' : 'default').on('click', function (ev: MouseEvent) {
    const [px, py] = d3.pointer(ev, this);
    const c = Math.floor((px - M.l) / CELL);
    const r = Math.floor((py - M.t) / CELL);
    if (r >= 0 && r < R && c >= 0 && c < C) handlers.onCell?.(r, c);
  });
  hit.on('mousemove', function (ev: MouseEvent) {
    const [px, py] = d3.pointer(ev, this);
    const c = Math.floor((px - M.l) / CELL);
    const r = Math.floor((py - M.t) / CELL);
    if (r >= 0 && r < R && c >= 0 && c < C) d3.select(this).select('title').text(`${d.rows[r]} × ${d.cols[c]}: ${d.values[r * C + c].toFixed(4)}`);
  });
}
