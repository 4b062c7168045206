/**
 * The steering sweep's chart: p(target) at the prompt's last position against the strength α, one point per
 * strength, the clean value (α = 0, or the no-steering line) dashed, the chosen α marked. Pure D3 into an SVG that
 * this function owns inside the element React gives it.
 */
import * as d3 from 'd3';

export interface SteeringChartData {
  points: Array<{ alpha: number; prob: number }>;
  /** p(target) without the steering (the edited run's other edits in force). */
  baseline: number | null;
  /** The strength the panel would apply. */
  chosen: number | null;
  targetLabel: string;
}

const W = 300;
const H = 150;
const M = { l: 44, r: 10, t: 18, b: 30 };

export function drawSteeringChart(el: HTMLElement, d: SteeringChartData, onPick?: (alpha: number) => void): void {
  d3.select(el).selectAll('svg').remove();
  if (d.points.length === 0) return;
  const svg = d3.select(el).append('svg').attr('class', 'steering-chart').attr('width', W).attr('height', H).attr('viewBox', `0 0 ${W} ${H}`);
  const xs = d.points.map((p) => p.alpha);
  const x0 = d3.min(xs)!;
  const x1 = d3.max(xs)!;
  const x = d3
    .scaleLinear()
    .domain(x0 === x1 ? [x0 - 1, x1 + 1] : [x0, x1])
    .range([M.l, W - M.r]);
  const ymax = Math.max(1e-6, d3.max(d.points, (p) => p.prob)!, d.baseline ?? 0);
  const y = d3.scaleLinear().domain([0, ymax * 1.05]).nice().range([H - M.b, M.t]);
  svg.append('g').attr('transform', `translate(0,${H - M.b})`).call(d3.axisBottom(x).ticks(6)).attr('font-size', 10);
  svg.append('g').attr('transform', `translate(${M.l},0)`).call(d3.axisLeft(y).ticks(4, '.2~f')).attr('font-size', 10);
  svg.append('text').attr('x', (M.l + W - M.r) / 2).attr('y', H - 2).attr('text-anchor', 'middle').attr('font-size', 11).text('strength α');
  svg.append('text').attr('x', M.l).attr('y', 11).attr('font-size', 11).text(`p(${d.targetLabel})`);
  if (d.baseline !== null) {
    svg.append('line').attr('class', 'baseline').attr('x1', M.l).attr('x2', W - M.r).attr('y1', y(d.baseline)).attr('y2', y(d.baseline)).attr('stroke', '#94a3b8').attr('stroke-dasharray', '4 3');
  }
  if (d.chosen !== null && d.chosen >= x.domain()[0] && d.chosen <= x.domain()[1]) {
    svg.append('line').attr('class', 'chosen').attr('x1', x(d.chosen)).attr('x2', x(d.chosen)).attr('y1', M.t).attr('y2', H - M.b).attr('stroke', '#f59e0b');
  }
  const line = d3
    .line<{ alpha: number; prob: number }>()
    .x((p) => x(p.alpha))
    .y((p) => y(p.prob));
  svg.append('path').datum(d.points).attr('fill', 'none').attr('stroke', '#2563eb').attr('stroke-width', 1.5).attr('d', line);
  svg
    .append('g')
    .selectAll('circle')
    .data(d.points)
    .join('circle')
    .attr('class', 'sweep-point')
    .attr('data-alpha', (p) => p.alpha)
    .attr('data-prob', (p) => p.prob)
    .attr('cx', (p) => x(p.alpha))
    .attr('cy', (p) => y(p.prob))
    .attr('r', 3.5)
    .attr('fill', '#2563eb')
    .style('cursor', onPick ? 'pointer' : 'default')
    .on('click', (_, p) => onPick?.(p.alpha))
    .append('title')
    .text((p) => `α = ${p.alpha}: p = ${p.prob.toPrecision(3)}`);
}
