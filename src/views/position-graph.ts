/**
 * The position-resolved attribution graph (src/analysis/attribution-graph.ts), drawn with D3: prompt positions as
 * rows (token labels on the left), read depth as columns (embeddings, then each layer's attention and MLP, the logit
 * last). Neurons are circles, heads squares, rest nodes small diamonds, embeddings rounded bars, the logit a ringed
 * circle; size by influence. Edges are curves, width by |weight|, blue where the source raises its target and red
 * where it lowers it. A NeuronPath path is outlined in black (its edges drawn dark), patching scores ring the nodes
 * they cover (diverging colours), edited units carry a dashed violet ring, the selected node an amber outline.
 * Neurons and heads take clicks and Enter/Space (handlers.onSelect gets their NodeId, e.g. L2.N417@11 / L0.H3@5);
 * other nodes go to handlers.onSelectOther. Zoom and pan. React owns the container; this function owns its inside.
 */
import * as d3 from 'd3';
import { sizeContainer } from './contained';
import type { AttributionGraph, AttributionGraphEdge, AttributionGraphNode } from '../analysis/attribution-graph-types';
import { isUnitNode } from '../analysis/attribution-graph-types';
import type { GraphOverlays } from '../analysis/graph-overlays';
import { divergingColour } from './colours';
import { layoutPositionGraph, LABEL_W, type LaidOutNode } from './position-graph-layout';

export interface PositionGraphInput {
  graph: AttributionGraph;
  overlays?: GraphOverlays;
  /** The selected node's id. */
  selected?: string | null;
  /** Ids of nodes an active edit changes. */
  edited?: ReadonlyArray<string>;
}

export interface PositionGraphHandlers {
  /** A neuron or head was chosen: its NodeId text form. */
  onSelect: (nodeId: string) => void;
  /** An embedding, rest node or the logit was chosen. */
  onSelectOther?: (node: AttributionGraphNode) => void;
}

const zooms = new WeakMap<HTMLElement, d3.ZoomBehavior<SVGSVGElement, unknown>>();

export function resetPositionGraphZoom(el: HTMLElement): void {
  const z = zooms.get(el);
  const svg = d3.select(el).select<SVGSVGElement>('svg.position-graph');
  if (z && !svg.empty()) svg.call(z.transform, d3.zoomIdentity);
}

function shapePath(n: LaidOutNode): string {
  const r = n.r;
  switch (n.node.kind) {
    case 'head':
      return `M${-r},${-r}h${2 * r}v${2 * r}h${-2 * r}Z`;
    case 'attn_rest':
    case 'mlp_rest':
      return `M0,${-r}L${r},0L0,${r}L${-r},0Z`;
    case 'embedding':
      return `M${-r - 2},${-r / 1.5}h${2 * r + 4}v${(2 * r) / 1.5}h${-2 * r - 4}Z`;
    default:
      return d3.arc()({ innerRadius: 0, outerRadius: r, startAngle: 0, endAngle: 2 * Math.PI }) ?? '';
  }
}

function describe(n: AttributionGraphNode, g: AttributionGraph, overlays?: GraphOverlays): string {
  const what = { embedding: 'embedding', head: 'attention head', neuron: 'MLP neuron', attn_rest: 'rest of the attention output', mlp_rest: 'rest of the MLP output', logit: 'target' }[n.kind];
  const lines = [`${n.id} (${what}) at "${g.tokenStrings[n.position] ?? ''}"`, `influence ${n.influence.toFixed(4)} (cumulative ${n.cumulative.toFixed(3)})`];
  if (n.activation !== null) lines.push(`activation ${n.activation.toFixed(4)}`);
  if (n.kind === 'neuron' || n.kind === 'head') lines.push(`grad × act ${n.gxa.toFixed(4)}`);
  const p = overlays?.patching?.scores[n.id];
  if (p !== undefined) lines.push(`patching (${overlays!.patching!.method}) ${p.toFixed(4)}`);
  if (overlays?.path?.nodes.includes(n.id)) lines.push('on the NeuronPath path');
  return lines.join('\n');
}

/** `width`: the container's width (else read from the element, which forces a layout). */
export function drawPositionGraph(el: HTMLElement, data: PositionGraphInput, h: PositionGraphHandlers, width = el.clientWidth): void {
  const g = data.graph;
  const L = layoutPositionGraph(g, width || 900);
  let svg = d3.select(el).select<SVGSVGElement>('svg.position-graph');
  if (svg.empty()) {
    svg = d3.select(el).append('svg').attr('class', 'position-graph');
    svg.append('rect').attr('class', 'bg').attr('fill', 'white');
    const z0 = svg.append('g').attr('class', 'zoom');
    for (const c of ['rows', 'columns', 'edges', 'nodes']) z0.append('g').attr('class', c);
    const z = d3.zoom<SVGSVGElement, unknown>().scaleExtent([0.2, 8]).on('zoom', (ev) => z0.attr('transform', ev.transform.toString()));
    svg.call(z);
    zooms.set(el, z);
  }
  svg.attr('viewBox', `0 0 ${L.width} ${L.height}`).attr('width', L.width).attr('height', L.height).attr('data-nodes', L.nodes.length).attr('data-edges', g.edges.length);
  sizeContainer(el, width, L.width, L.height);
  svg.select('rect.bg').attr('width', L.width).attr('height', L.height);
  const root = svg.select<SVGGElement>('g.zoom');

  const rows = root.select('g.rows').selectAll<SVGGElement, (typeof L.rows)[number]>('g.row').data(L.rows, (r) => String(r.position)).join((e) => {
    const r = e.append('g').attr('class', 'row');
    r.append('line');
    r.append('text');
    return r;
  });
  rows.attr('data-position', (r) => r.position);
  rows.select('line').attr('x1', LABEL_W - 4).attr('x2', L.width).attr('y1', (r) => r.y).attr('y2', (r) => r.y).attr('stroke', '#f1f5f9');
  rows.select('text').attr('x', LABEL_W - 8).attr('y', (r) => r.y + 4).attr('text-anchor', 'end').attr('class', 'token-label').text((r) => (r.label.length > 18 ? `${r.label.slice(0, 17)}…` : r.label));

  root.select('g.columns').selectAll<SVGTextElement, (typeof L.columns)[number]>('text').data(L.columns).join('text')
    .attr('x', (c) => c.x).attr('y', 18).attr('text-anchor', 'middle').attr('class', 'layer-label').text((c) => c.label);

  const pathEdges = new Set((data.overlays?.path?.edges ?? []).map(([s, t]) => `${s}>${t}`));
  const maxW = Math.max(1e-12, ...g.edges.map((e) => Math.abs(e.weight)));
  const drawn = g.edges.filter((e) => L.byId.has(e.source) && L.byId.has(e.target));
  // Strongest last, so they lie on top.
  drawn.sort((a, b) => Math.abs(a.weight) - Math.abs(b.weight));
  const curve = (e: AttributionGraphEdge) => {
    const s = L.byId.get(e.source)!;
    const t = L.byId.get(e.target)!;
    const mx = (s.x + t.x) / 2;
    return `M${s.x},${s.y}C${mx},${s.y} ${mx},${t.y} ${t.x},${t.y}`;
  };
  root.select('g.edges').selectAll<SVGPathElement, AttributionGraphEdge>('path').data(drawn, (e) => `${e.source}>${e.target}`).join('path')
    .attr('d', curve)
    .attr('fill', 'none')
    .attr('data-edge', (e) => `${e.source}>${e.target}`)
    .attr('stroke', (e) => (pathEdges.has(`${e.source}>${e.target}`) ? '#111827' : divergingColour(e.weight, maxW, 0.45)))
    .attr('stroke-width', (e) => 0.5 + 4.5 * Math.sqrt(Math.abs(e.weight) / maxW) + (pathEdges.has(`${e.source}>${e.target}`) ? 1.5 : 0))
    .attr('stroke-opacity', (e) => 0.25 + 0.65 * Math.sqrt(Math.abs(e.weight) / maxW))
    .selectAll('title').data((e) => [e]).join('title')
    .text((e) => `${e.source} → ${e.target}: ${e.weight.toFixed(4)}${e.qk ? ` (queries/keys ${e.qk.toFixed(4)})` : ''}, influence ${e.score.toFixed(4)}`);

  const onPath = new Set(data.overlays?.path?.nodes ?? []);
  const patch = data.overlays?.patching;
  const edited = new Set(data.edited ?? []);
  const maxAct = new Map<string, number>();
  for (const n of L.nodes) if (n.node.activation !== null) maxAct.set(n.node.kind, Math.max(maxAct.get(n.node.kind) ?? 1e-12, Math.abs(n.node.activation)));
  const choose = (n: AttributionGraphNode) => (isUnitNode(n) ? h.onSelect(n.id) : h.onSelectOther?.(n));
  const nodes = root.select('g.nodes').selectAll<SVGGElement, LaidOutNode>('g.node').data(L.nodes, (n) => n.node.id).join((e) => {
    const x = e.append('g').attr('class', 'node');
    x.append('circle').attr('class', 'patch-ring');
    x.append('circle').attr('class', 'edit-ring');
    x.append('path').attr('class', 'shape');
    x.append('text').attr('class', 'node-label');
    x.append('title');
    return x;
  });
  nodes
    .attr('transform', (n) => `translate(${n.x},${n.y})`)
    .attr('data-node-id', (n) => n.node.id)
    .attr('data-kind', (n) => n.node.kind)
    .attr('data-on-path', (n) => (onPath.has(n.node.id) ? 'true' : null))
    .attr('data-patch', (n) => (patch?.scores[n.node.id] !== undefined ? patch.scores[n.node.id] : null))
    .attr('data-edited', (n) => (edited.has(n.node.id) ? 'true' : null))
    .attr('tabindex', (n) => (isUnitNode(n.node) || h.onSelectOther ? 0 : null))
    .attr('role', 'button')
    .style('cursor', (n) => (isUnitNode(n.node) || h.onSelectOther ? 'pointer' : 'default'))
    .on('click', (_ev, n) => choose(n.node))
    .on('keydown', (ev: KeyboardEvent, n) => {
      if (ev.key === 'Enter' || ev.key === ' ') choose(n.node);
    });
  nodes.select('path.shape')
    .attr('d', shapePath)
    .attr('fill', (n) => (n.node.kind === 'logit' ? '#f59e0b' : n.node.activation === null ? '#cbd5e1' : divergingColour(n.node.activation, maxAct.get(n.node.kind) ?? 1)))
    .attr('fill-opacity', (n) => (n.node.kind === 'attn_rest' || n.node.kind === 'mlp_rest' ? 0.6 : 1))
    .attr('stroke', (n) => (n.node.id === data.selected ? '#f59e0b' : onPath.has(n.node.id) ? '#111827' : '#64748b'))
    .attr('stroke-width', (n) => (n.node.id === data.selected ? 3.5 : onPath.has(n.node.id) ? 2.5 : 0.8));
  nodes.select('circle.patch-ring')
    .attr('display', (n) => (patch?.scores[n.node.id] !== undefined ? null : 'none'))
    .attr('r', (n) => n.r + 3.5)
    .attr('fill', 'none')
    .attr('stroke', (n) => divergingColour(patch?.scores[n.node.id] ?? 0, patch?.maxAbs || 1))
    .attr('stroke-width', 3);
  nodes.select('circle.edit-ring')
    .attr('display', (n) => (edited.has(n.node.id) ? null : 'none'))
    .attr('r', (n) => n.r + 6.5)
    .attr('fill', 'none')
    .attr('stroke', '#7c3aed')
    .attr('stroke-width', 1.5)
    .attr('stroke-dasharray', '3 2');
  // Short labels above units (H0, N17) in cells of at most two nodes, and above the logit (its token).
  nodes.select('text.node-label')
    .attr('y', (n) => -n.r - 2)
    .attr('text-anchor', 'middle')
    .attr('font-size', 8)
    .attr('fill', '#334155')
    .attr('display', (n) => ((isUnitNode(n.node) && n.cellCount <= 2) || n.node.kind === 'logit' ? null : 'none'))
    .text((n) => (n.node.kind === 'logit' ? g.target.tokenString : n.node.kind === 'head' ? `H${n.node.index}` : n.node.kind === 'neuron' ? `N${n.node.index}` : ''));
  nodes.select('title').text((n) => describe(n.node, g, data.overlays));
}
