/**
 * The class × neuron matrix of class-level paths, drawn in SVG: a row per class, a column per (layer, neuron) unit
 * on some path (grouped by layer, a gap between layers), each cell coloured by the share of the class's images
 * whose path holds the unit (0..1; the counts on hover). React owns the container; this owns the SVG inside it.
 */
import * as d3 from 'd3';
import type { ClassMatrixColumn, ClassMatrixData, ClassMatrixRow } from './class-matrix-data';

export interface ClassMatrixHandlers {
  /** A cell was clicked; `additive` when shift, ctrl or ⌘ was held (as on the path graph). */
  onCell?: (column: ClassMatrixColumn, row: ClassMatrixRow, additive: boolean) => void;
}

const CELL = 14;
const GAP = 8;
const M = { l: 64, t: 96, r: 12, b: 12 };
const LEGEND_W = 120;

/** The cell colour of a share 0..1: white-grey for none, then the workbench's blues. */
export function shareColour(share: number): string {
  return share <= 0 ? '#f3f5f9' : d3.interpolateBlues(0.15 + 0.85 * Math.min(1, share));
}

interface Cell {
  r: number;
  c: number;
  count: number;
  share: number;
}

export function drawClassMatrix(el: HTMLElement, d: ClassMatrixData, handlers: ClassMatrixHandlers = {}): void {
  const R = d.rows.length;
  const C = d.columns.length;
  // Column x positions: a gap before each new layer.
  const xs: number[] = [];
  d.groups.forEach((g, gi) => {
    for (let i = 0; i < g.count; i++) xs[g.start + i] = M.l + gi * GAP + (g.start + i) * CELL;
  });
  const width = Math.max(M.l + C * CELL + Math.max(0, d.groups.length - 1) * GAP + M.r, M.l + LEGEND_W + 200);
  const height = M.t + R * CELL + M.b;
  let svg = d3.select(el).select<SVGSVGElement>('svg.class-matrix');
  if (svg.empty()) svg = d3.select(el).append('svg').attr('class', 'class-matrix');
  svg.attr('width', width).attr('height', height).attr('data-method', d.method);
  svg.selectAll('*').remove();

  // Legend: share of the class's images whose path holds the unit.
  const legend = svg.append('g').attr('transform', `translate(${M.l},6)`).attr('data-testid', 'class-matrix-legend');
  const grad = legend.append('defs').append('linearGradient').attr('id', 'class-matrix-grad');
  grad
    .selectAll('stop')
    .data(d3.range(11))
    .join('stop')
    .attr('offset', (i) => `${i * 10}%`)
    .attr('stop-color', (i) => shareColour(i / 10));
  legend.append('rect').attr('width', LEGEND_W).attr('height', 8).attr('fill', 'url(#class-matrix-grad)').attr('stroke', '#ccd');
  legend.append('text').attr('x', -4).attr('y', 8).attr('text-anchor', 'end').attr('font-size', 10).text('0');
  legend.append('text').attr('x', LEGEND_W + 4).attr('y', 8).attr('font-size', 10).text('1 = on every path of the class');

  // Layer groups: a label over each, then the rotated column labels.
  svg
    .append('g')
    .selectAll('text')
    .data(d.groups)
    .join('text')
    .attr('class', 'layer-label')
    .attr('x', (g) => xs[g.start] + (g.count * CELL) / 2)
    .attr('y', 30)
    .attr('text-anchor', 'middle')
    .attr('font-size', 11)
    .text((g) => (g.count * CELL >= 40 ? `layer ${g.layer}` : `L${g.layer}`));
  svg
    .append('g')
    .selectAll('line')
    .data(d.groups)
    .join('line')
    .attr('x1', (g) => xs[g.start])
    .attr('x2', (g) => xs[g.start] + g.count * CELL - 1)
    .attr('y1', 35)
    .attr('y2', 35)
    .attr('stroke', '#99a');
  svg
    .append('g')
    .selectAll('text')
    .data(d.columns)
    .join('text')
    .attr('class', 'col')
    .attr('transform', (_c, i) => `translate(${xs[i] + CELL * 0.7},${M.t - 4}) rotate(-65)`)
    .attr('font-size', 10)
    .attr('font-family', 'monospace')
    .attr('font-weight', (_c, i) => (i === d.selectedColumn ? 700 : 400))
    .text((c) => c.label);
  svg
    .append('g')
    .selectAll('text')
    .data(d.rows)
    .join('text')
    .attr('class', 'row')
    .attr('x', M.l - 4)
    .attr('y', (_r, i) => M.t + i * CELL + CELL * 0.75)
    .attr('text-anchor', 'end')
    .attr('font-size', 11)
    .attr('font-family', 'monospace')
    .text((r) => `${r.label} (${r.images})`);

  const cells: Cell[] = [];
  for (let r = 0; r < R; r++) for (let c = 0; c < C; c++) cells.push({ r, c, count: d.counts[r][c], share: d.share[r][c] });
  svg
    .append('g')
    .selectAll<SVGRectElement, Cell>('rect')
    .data(cells)
    .join('rect')
    .attr('class', 'cell')
    .attr('data-node', (x) => d.columns[x.c].node)
    .attr('data-class', (x) => d.rows[x.r].class)
    .attr('data-count', (x) => x.count)
    .attr('x', (x) => xs[x.c])
    .attr('y', (x) => M.t + x.r * CELL)
    .attr('width', CELL - 1)
    .attr('height', CELL - 1)
    .attr('fill', (x) => shareColour(x.share))
    .style('cursor', handlers.onCell ? 'pointer' : 'default')
    .on('click', (ev: MouseEvent, x) => handlers.onCell?.(d.columns[x.c], d.rows[x.r], ev.shiftKey || ev.ctrlKey || ev.metaKey))
    .append('title')
    .text((x) => `class ${d.rows[x.r].label} × ${d.columns[x.c].label}: on ${x.count} of ${d.rows[x.r].images} paths (${(100 * x.share).toFixed(0)}%)`);

  // The selected node's column, outlined.
  if (d.selectedColumn !== null) {
    svg
      .append('rect')
      .attr('class', 'selected-column')
      .attr('x', xs[d.selectedColumn] - 1.5)
      .attr('y', M.t - 1.5)
      .attr('width', CELL + 2)
      .attr('height', R * CELL + 2)
      .attr('fill', 'none')
      .attr('stroke', '#f59e0b')
      .attr('stroke-width', 2)
      .attr('pointer-events', 'none');
  }
}
