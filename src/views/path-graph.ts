/**
 * The path graph: layers as columns, neurons as circles (size by |attribution|, colour by sign), heads as
 * squares below them, the path highlighted, runners-up faint, edges weighted; zoom and pan.
 * React owns the container element; this function owns everything inside it (D3 joins).
 */
import * as d3 from 'd3';
import type { GraphData, GraphNode } from './graph-data';

export interface GraphHandlers {
  onSelect: (n: GraphNode) => void;
}

const W = 900;
const H = 420;

function colour(score: number, maxAbs: number): string {
  const t = Math.min(1, Math.abs(score) / maxAbs);
  return score >= 0 ? d3.interpolateBlues(0.35 + 0.6 * t) : d3.interpolateReds(0.35 + 0.6 * t);
}

export function drawPathGraph(el: HTMLElement, data: GraphData, selected: string | null, h: GraphHandlers): void {
  let svg = d3.select(el).select<SVGSVGElement>('svg.path-graph');
  if (svg.empty()) {
    svg = d3.select(el).append('svg').attr('class', 'path-graph').attr('viewBox', `0 0 ${W} ${H}`).attr('width', '100%').attr('preserveAspectRatio', 'xMidYMid meet');
    svg.append('rect').attr('class', 'bg').attr('width', W).attr('height', H).attr('fill', 'white');
    const g = svg.append('g').attr('class', 'zoom');
    g.append('g').attr('class', 'layers');
    g.append('g').attr('class', 'edges');
    g.append('g').attr('class', 'nodes');
    svg.call(
      d3.zoom<SVGSVGElement, unknown>().scaleExtent([0.5, 8]).on('zoom', (ev) => g.attr('transform', ev.transform.toString())),
    );
  }
  const g = svg.select<SVGGElement>('g.zoom');
  const colW = W / Math.max(1, data.layers);
  const x = (l: number) => colW * (l + 0.5);
  const neuronsByLayer = d3.group(data.nodes.filter((n) => n.kind === 'neuron'), (n) => n.layer);
  const headsByLayer = d3.group(data.nodes.filter((n) => n.kind === 'head'), (n) => n.layer);
  const pos = new Map<string, [number, number]>();
  for (const [l, ns] of neuronsByLayer) {
    const sorted = [...ns].sort((a, b) => (a.role === 'path' ? -1 : b.role === 'path' ? 1 : Math.abs(b.score) - Math.abs(a.score)));
    sorted.forEach((n, i) => pos.set(n.id, [x(l), 40 + (i * (H - 150)) / Math.max(1, sorted.length - 1 || 1)]));
  }
  for (const [l, ns] of headsByLayer) {
    const w = Math.min(colW - 20, ns.length * 22);
    ns.forEach((n, i) => pos.set(n.id, [x(l) - w / 2 + (i + 0.5) * (w / ns.length), H - 40]));
  }
  const r = (n: GraphNode) => 4 + 14 * Math.sqrt(Math.abs(n.score) / data.maxAbs);

  g.select('g.layers')
    .selectAll('text')
    .data(d3.range(data.layers))
    .join('text')
    .attr('x', (l) => x(l))
    .attr('y', 16)
    .attr('text-anchor', 'middle')
    .attr('class', 'layer-label')
    .text((l) => `layer ${l}`);

  const maxW = Math.max(1e-9, ...data.edges.map((e) => Math.abs(e.weight)));
  g.select('g.edges')
    .selectAll<SVGLineElement, (typeof data.edges)[number]>('line')
    .data(data.edges.filter((e) => pos.has(e.from) && pos.has(e.to)), (e) => `${e.from}>${e.to}`)
    .join('line')
    .attr('x1', (e) => pos.get(e.from)![0])
    .attr('y1', (e) => pos.get(e.from)![1])
    .attr('x2', (e) => pos.get(e.to)![0])
    .attr('y2', (e) => pos.get(e.to)![1])
    .attr('stroke', (e) => (e.role === 'path' ? (e.weight >= 0 ? '#2563eb' : '#dc2626') : '#cbd5e1'))
    .attr('stroke-width', (e) => (e.role === 'path' ? 1.5 + 5 * (Math.abs(e.weight) / maxW) : 1))
    .attr('stroke-opacity', (e) => (e.role === 'path' ? 0.9 : 0.5))
    .selectAll('title')
    .data((e) => [e])
    .join('title')
    .text((e) => `${e.from} → ${e.to}${e.role === 'path' ? `: grad×act ${e.weight.toFixed(4)}` : ''}`);

  const nodes = g
    .select('g.nodes')
    .selectAll<SVGGElement, GraphNode>('g.node')
    .data(data.nodes.filter((n) => pos.has(n.id)), (n) => n.id)
    .join((enter) => {
      const e = enter.append('g').attr('class', 'node');
      // A transparent hit area over the shape and its label, so the whole node takes clicks.
      e.append('rect').attr('class', 'hit').attr('fill', 'transparent');
      e.append('circle');
      e.append('rect').attr('class', 'head-shape');
      e.append('text').attr('class', 'node-label');
      e.append('title');
      return e;
    })
    .attr('data-node-id', (n) => n.id)
    .attr('data-role', (n) => n.role)
    .attr('transform', (n) => `translate(${pos.get(n.id)![0]},${pos.get(n.id)![1]})`)
    .attr('tabindex', 0)
    .attr('role', 'button')
    .style('cursor', 'pointer')
    .on('click', (_ev, n) => h.onSelect(n))
    .on('keydown', (ev: KeyboardEvent, n) => {
      if (ev.key === 'Enter' || ev.key === ' ') h.onSelect(n);
    });
  nodes
    .select('circle')
    .attr('display', (n) => (n.kind === 'neuron' ? null : 'none'))
    .attr('r', r)
    .attr('fill', (n) => colour(n.score, data.maxAbs))
    .attr('fill-opacity', (n) => (n.role === 'runner' ? 0.45 : 1))
    .attr('stroke', (n) => (n.id === selected ? '#f59e0b' : n.role === 'path' ? '#111827' : '#94a3b8'))
    .attr('stroke-width', (n) => (n.id === selected ? 4 : n.role === 'path' ? 2.5 : 1));
  nodes
    .select('rect.hit')
    .attr('x', (n) => (n.kind === 'neuron' ? -r(n) - 2 : -10))
    .attr('y', (n) => (n.kind === 'neuron' ? -Math.max(12, r(n) + 2) : -10))
    .attr('width', (n) => (n.kind === 'neuron' ? r(n) + 2 + 40 : 20))
    .attr('height', (n) => (n.kind === 'neuron' ? 2 * Math.max(12, r(n) + 2) : 36));
  nodes
    .select('rect.head-shape')
    .attr('display', (n) => (n.kind === 'head' ? null : 'none'))
    .attr('x', -8)
    .attr('y', -8)
    .attr('width', 16)
    .attr('height', 16)
    .attr('fill', (n) => colour(n.score, data.maxAbs))
    .attr('stroke', (n) => (n.id === selected ? '#f59e0b' : '#64748b'))
    .attr('stroke-width', (n) => (n.id === selected ? 3 : 1));
  nodes
    .select('text')
    .attr('x', (n) => (n.kind === 'neuron' ? r(n) + 4 : 0))
    .attr('y', (n) => (n.kind === 'neuron' ? 4 : 22))
    .attr('text-anchor', (n) => (n.kind === 'neuron' ? 'start' : 'middle'))
    .text((n) => (n.kind === 'neuron' ? `N${n.index}` : `H${n.index}`));
  nodes.select('title').text((n) => `${n.id} (${n.kind}${n.role === 'path' ? ', on the path' : n.role === 'runner' ? ', runner-up' : ''})\nscore ${n.score.toFixed(4)}`);
}
