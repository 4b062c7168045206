/**
 * D3 drawings of the DLA and logit-lens views. DLA: per layer a block of horizontal bars, its top heads and
 * neurons by |direct contribution| at one position (blue raises the metric, red lowers it), each clickable. Lens:
 * a grid, rows each layer's resid_pre and resid_post, columns the prompt's tokens, coloured by the metric read there
 * (diverging around 0 for logits, sequential on the probability for log-probabilities), each cell showing the top
 * token or the value. React owns the container; these own the SVG inside it.
 */
import * as d3 from 'd3';
import { divergingColour } from './colours';
import type { DlaBar, DlaBars, LensGrid } from './logit-views';
import { visibleToken } from './tokens';

const ROW = 18;
const LABEL = 60;
const BAR = 160;

export function drawDla(el: HTMLElement, d: DlaBars, onSelect: (bar: DlaBar) => void, selected: string | null = null): void {
  const rows = d.layers.map((l) => l.length);
  const height = rows.reduce((a, n) => a + (n + 1) * ROW, 0) + 10;
  const width = LABEL + 2 * BAR + 120;
  const svg = d3
    .select(el)
    .selectAll<SVGSVGElement, number>('svg.dla')
    .data([0])
    .join('svg')
    .attr('class', 'dla')
    .attr('width', width)
    .attr('height', height);
  let y = 0;
  const blocks = d.layers.map((bars, l) => {
    const at = y;
    y += (bars.length + 1) * ROW;
    return { l, bars, at };
  });
  const g = svg
    .selectAll<SVGGElement, (typeof blocks)[number]>('g.layer')
    .data(blocks)
    .join('g')
    .attr('class', 'layer')
    .attr('transform', (b) => `translate(0,${b.at})`);
  g.selectAll('text.layer-label')
    .data((b) => [b])
    .join('text')
    .attr('class', 'layer-label')
    .attr('x', 4)
    .attr('y', ROW * 0.75)
    .attr('font-size', 12)
    .attr('font-weight', 'bold')
    .text((b) => `layer ${b.l}`);
  const mid = LABEL + BAR;
  const bar = g
    .selectAll<SVGGElement, DlaBar>('g.bar')
    .data((b) => b.bars, (b) => b.id)
    .join((e) => {
      const n = e.append('g').attr('class', 'bar').attr('tabindex', 0).attr('role', 'button').style('cursor', 'pointer');
      n.append('rect').attr('class', 'fill');
      n.append('text').attr('class', 'name');
      n.append('text').attr('class', 'value');
      n.append('title');
      return n;
    })
    .attr('data-node-id', (b) => b.id)
    .attr('data-value', (b) => String(b.value))
    .attr('transform', (_b, i) => `translate(0,${(i + 1) * ROW})`)
    .on('click', (_e, b) => onSelect(b))
    .on('keydown', (e: KeyboardEvent, b) => (e.key === 'Enter' || e.key === ' ') && onSelect(b));
  const w = (v: number) => (BAR * Math.abs(v)) / d.maxAbs;
  bar
    .select('rect.fill')
    .attr('x', (b) => (b.value >= 0 ? mid : mid - w(b.value)))
    .attr('y', 2)
    .attr('height', ROW - 4)
    .attr('width', (b) => Math.max(1, w(b.value)))
    .attr('fill', (b) => divergingColour(b.value, d.maxAbs))
    .attr('stroke', (b) => (b.id === selected ? '#d97706' : 'none'))
    .attr('stroke-width', 2);
  bar
    .select('text.name')
    .attr('x', LABEL - 4)
    .attr('y', ROW * 0.7)
    .attr('text-anchor', 'end')
    .attr('font-family', 'monospace')
    .attr('font-size', 11)
    .text((b) => (b.kind === 'head' ? `H${b.index}` : `N${b.index}`));
  bar
    .select('text.value')
    .attr('x', mid + BAR + 6)
    .attr('y', ROW * 0.7)
    .attr('font-family', 'monospace')
    .attr('font-size', 11)
    .text((b) => (b.value >= 0 ? '+' : '') + b.value.toFixed(3));
  bar.select('title').text((b) => `${b.id}: direct contribution ${b.value.toFixed(4)} to the metric (final norm's scale frozen); click to open its card`);
  svg
    .selectAll('line.zero')
    .data([0])
    .join('line')
    .attr('class', 'zero')
    .attr('x1', mid)
    .attr('x2', mid)
    .attr('y1', 0)
    .attr('y2', height)
    .attr('stroke', '#99a');
}

const CW = 40;
const CH = 20;
const ML = 70;
const MT = 70;

export function drawLens(el: HTMLElement, d: LensGrid, opts: { logprob: boolean; show: 'top' | 'value' }, onCell?: (row: number, col: number) => void): void {
  const R = d.rows.length;
  const C = d.cols.length;
  let maxAbs = 1e-9;
  for (const v of d.values) maxAbs = Math.max(maxAbs, Math.abs(v));
  const seq = d3.scaleSequential(d3.interpolateBlues).domain([0, 1]);
  const colour = (v: number) => (opts.logprob ? seq(Math.exp(v)) : divergingColour(v, maxAbs, 0));
  const svg = d3
    .select(el)
    .selectAll<SVGSVGElement, number>('svg.lens')
    .data([0])
    .join('svg')
    .attr('class', 'lens')
    .attr('width', ML + C * CW + 10)
    .attr('height', MT + R * CH + 10);
  svg
    .selectAll('text.col')
    .data(d.cols)
    .join('text')
    .attr('class', 'col')
    .attr('transform', (_c, i) => `translate(${ML + i * CW + CW / 2},${MT - 6}) rotate(-50)`)
    .attr('font-family', 'monospace')
    .attr('font-size', 11)
    .text((t) => visibleToken(t));
  svg
    .selectAll('text.row')
    .data(d.rows)
    .join('text')
    .attr('class', 'row')
    .attr('x', ML - 6)
    .attr('y', (_r, i) => MT + i * CH + CH * 0.7)
    .attr('text-anchor', 'end')
    .attr('font-family', 'monospace')
    .attr('font-size', 11)
    .text((t) => t);
  const cells = Array.from({ length: R * C }, (_, i) => ({ r: Math.floor(i / C), c: i % C, v: d.values[i], top: d.top[i] }));
  const cell = svg
    .selectAll<SVGGElement, (typeof cells)[number]>('g.cell')
    .data(cells)
    .join((e) => {
      const n = e.append('g').attr('class', 'cell');
      n.append('rect');
      n.append('text');
      n.append('title');
      return n;
    })
    .attr('data-row', (x) => x.r)
    .attr('data-col', (x) => x.c)
    .attr('data-value', (x) => String(x.v))
    .attr('data-top', (x) => x.top)
    .attr('transform', (x) => `translate(${ML + x.c * CW},${MT + x.r * CH})`)
    .style('cursor', onCell ? 'pointer' : 'default')
    .on('click', (_e, x) => onCell?.(x.r, x.c));
  cell.select('rect').attr('width', CW - 1).attr('height', CH - 1).attr('fill', (x) => colour(x.v));
  cell
    .select('text')
    .attr('x', CW / 2)
    .attr('y', CH * 0.7)
    .attr('text-anchor', 'middle')
    .attr('font-family', 'monospace')
    .attr('font-size', 10)
    .attr('fill', (x) => (Math.abs(x.v) / maxAbs > 0.6 && !opts.logprob ? '#fff' : '#111'))
    .text((x) => (opts.show === 'top' ? visibleToken(x.top).slice(0, 6) : x.v.toFixed(2)));
  cell.select('title').text((x) => `${d.rows[x.r]} at ${JSON.stringify(d.cols[x.c])}: metric ${x.v.toFixed(4)}, top token ${JSON.stringify(x.top)}`);
}
