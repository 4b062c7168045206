/**
 * The path graph: layers as columns, neurons as circles (size by |attribution|, colour by sign), each layer's heads
 * as a compact grid of squares below them, the path highlighted, runners-up faint, edges weighted, edited nodes
 * ringed; zoom and pan. The layout scales with the layer and head counts: columns keep a minimum width (the SVG
 * grows and the container scrolls), labels sit under their circles and are dropped where they would not fit, so no
 * two overlap and none is clipped. React owns the container element; this function owns everything inside it.
 */
import * as d3 from 'd3';
import { divergingColour } from './colours';
import { sizeContainer } from './contained';
import type { GraphData, GraphNode } from './graph-data';
import { byLayer, layout, TOP } from './path-graph-layout';

export interface GraphHandlers {
  /** A node was clicked; `additive` when shift, ctrl or ⌘ was held (add to or take from the selection). */
  onSelect: (n: GraphNode, additive: boolean) => void;
  /** The user zoomed or panned (debounced); null when back at the whole graph. */
  onZoom?: (z: Zoom | null) => void;
}

export interface Zoom {
  k: number;
  x: number;
  y: number;
}

const zooms = new WeakMap<HTMLElement, d3.ZoomBehavior<SVGSVGElement, unknown>>();

/** Back to the unzoomed, unpanned view. */
export function resetZoom(el: HTMLElement): void {
  const z = zooms.get(el);
  const svg = d3.select(el).select<SVGSVGElement>('svg.path-graph');
  if (z && !svg.empty()) svg.call(z.transform, d3.zoomIdentity);
}

/** What depends on the selection alone: the amber outline (a selection change redraws only this). */
function markSelected(nodes: d3.Selection<SVGGElement, GraphNode, d3.BaseType, unknown>, sel: ReadonlySet<string>): void {
  nodes.attr('data-selected', (n) => (sel.has(n.id) ? 'true' : null));
  nodes
    .select('circle.neuron-shape')
    .attr('stroke', (n) => (sel.has(n.id) ? '#f59e0b' : n.role === 'path' ? '#111827' : '#94a3b8'))
    .attr('stroke-width', (n) => (sel.has(n.id) ? 4 : n.role === 'path' ? 2.5 : 1));
  nodes
    .select('rect.head-shape')
    .attr('stroke', (n) => (sel.has(n.id) ? '#f59e0b' : '#64748b'))
    .attr('stroke-width', (n) => (sel.has(n.id) ? 3 : 1));
}

const sameZoom = (a: Zoom | null, b: Zoom | null) => a === b || (!!a && !!b && a.k === b.k && a.x === b.x && a.y === b.y);

/** The inputs of each container's last complete draw: a draw that differs only in the selection touches only that. */
const lastDraw = new WeakMap<HTMLElement, { data: GraphData; width: number; zoom: Zoom | null; sel: ReadonlySet<string> }>();

/** Each container's handlers from its latest draw (click, key and zoom listeners read them). */
const drawHandlers = new WeakMap<HTMLElement, GraphHandlers>();
const applying = new WeakSet<HTMLElement>();

/**
 * `selected`: the selected node, or every selected node (all outlined in amber). `width`: the container's width
 * (else read from the element, which forces a layout).
 */
export function drawPathGraph(el: HTMLElement, data: GraphData, selected: string | readonly string[] | null, h: GraphHandlers, zoom: Zoom | null = null, width = el.clientWidth): void {
  drawHandlers.set(el, h);
  const sel = new Set<string>(typeof selected === 'string' ? [selected] : (selected ?? []));
  const last = lastDraw.get(el);
  if (last && !stopSlices.has(el) && last.data === data && last.width === width && sameZoom(last.zoom, zoom)) {
    const changed = new Set([...sel, ...last.sel].filter((id) => sel.has(id) !== last.sel.has(id)));
    if (changed.size) markSelected(d3.select(el).selectAll<SVGGElement, GraphNode>('svg.path-graph g.nodes g.node').filter((n) => changed.has(n.id)), sel);
    lastDraw.set(el, { ...last, sel });
    return;
  }
  lastDraw.delete(el);
  stopSlices.get(el)?.();
  stopSlices.delete(el);
  // A large first draw (a new path at 12 layers: hundreds of nodes) starts in a task of its own, apart from the
  // page's render that asked for it, and is made in slices; later draws (a click, an edit) touch only what changed.
  const have = new Set(d3.select(el).selectAll<SVGGElement, GraphNode>('svg.path-graph g.nodes g.node').data().map((n) => n.id));
  if (data.nodes.reduce((k, n) => k + (have.has(n.id) ? 0 : 1), 0) <= SLICE) return draw(el, data, sel, zoom, width, have);
  el.querySelector('svg.path-graph')?.setAttribute('aria-busy', 'true');
  const timer = setTimeout(() => draw(el, data, sel, zoom, width, have), 0);
  stopSlices.set(el, () => clearTimeout(timer));
}

function draw(el: HTMLElement, data: GraphData, sel: ReadonlySet<string>, zoom: Zoom | null, width: number, have: Set<string>): void {
  stopSlices.delete(el);
  const L = layout(width, data);
  let svg = d3.select(el).select<SVGSVGElement>('svg.path-graph');
  if (svg.empty()) {
    svg = d3.select(el).append('svg').attr('class', 'path-graph');
    svg.append('rect').attr('class', 'bg').attr('fill', 'white');
    const g = svg.append('g').attr('class', 'zoom');
    g.append('g').attr('class', 'layers');
    g.append('g').attr('class', 'edges');
    g.append('g').attr('class', 'nodes');
    let timer: ReturnType<typeof setTimeout> | null = null;
    const z = d3.zoom<SVGSVGElement, unknown>().scaleExtent([0.25, 8]).on('zoom', (ev) => {
      g.attr('transform', ev.transform.toString());
      if (applying.has(el)) return;
      const t = ev.transform as d3.ZoomTransform;
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => drawHandlers.get(el)?.onZoom?.(t.k === 1 && t.x === 0 && t.y === 0 ? null : { k: t.k, x: t.x, y: t.y }), 200);
    });
    svg.call(z);
    zooms.set(el, z);
  }
  // Show the zoom asked for (a restored session's) without reporting it back as a change.
  const z = zooms.get(el)!;
  const want = zoom ? d3.zoomIdentity.translate(zoom.x, zoom.y).scale(zoom.k) : d3.zoomIdentity;
  const cur = d3.zoomTransform(svg.node()!);
  if (cur.k !== want.k || cur.x !== want.x || cur.y !== want.y) {
    applying.add(el);
    svg.call(z.transform, want);
    applying.delete(el);
  }
  svg.attr('viewBox', `0 0 ${L.W} ${L.H}`).attr('width', L.W).attr('height', L.H);
  sizeContainer(el, width, L.W, L.H);
  svg.select('rect.bg').attr('width', L.W).attr('height', L.H);
  const g = svg.select<SVGGElement>('g.zoom');
  const x = (l: number) => L.colW * (l + 0.5);
  const { neurons: neuronsByLayer, heads: headsByLayer } = byLayer(data);
  const pos = new Map<string, [number, number]>();
  for (const [l, ns] of neuronsByLayer) {
    const sorted = [...ns].sort((a, b) => (a.role === 'path' ? -1 : b.role === 'path' ? 1 : Math.abs(b.score) - Math.abs(a.score)));
    sorted.forEach((n, i) => pos.set(n.id, [x(l), TOP + L.rMax + 2 + i * L.rowH]));
  }
  for (const [l, ns] of headsByLayer) {
    const sorted = [...ns].sort((a, b) => a.index - b.index);
    const cols = Math.min(L.headCols, sorted.length);
    const w = cols * (L.sq + 2);
    sorted.forEach((n, i) => pos.set(n.id, [x(l) - w / 2 + ((i % cols) + 0.5) * (L.sq + 2), L.headTop + L.sq / 2 + Math.floor(i / cols) * (L.sq + 3)]));
  }
  const r = (n: GraphNode) => 3 + (L.rMax - 3) * Math.sqrt(Math.min(1, Math.abs(n.score) / data.maxAbs));

  g.select('g.layers')
    .selectAll<SVGTextElement, number>('text')
    .data(d3.range(data.layers))
    .join((enter) => enter.append('text').attr('y', 16).attr('text-anchor', 'middle').attr('class', 'layer-label'))
    .filter(function (l) {
      return changedSince(this, `${x(l)}|${L.colW >= 80}`);
    })
    .attr('x', (l) => x(l))
    .text((l) => (L.colW >= 80 ? `layer ${l}` : `L${l}`));

  const drawEdges = () => {
    const maxW = Math.max(1e-9, ...data.edges.map((e) => Math.abs(e.weight)));
    // Only what changed since the last draw is written: a click or an edit touches a node or two, not the whole
    // graph (at 12 layers a full rewrite is tens of ms of attribute writes and style recalculation on the main thread).
    const edgeKey = (e: (typeof data.edges)[number]) => `${pos.get(e.from)}|${pos.get(e.to)}|${e.weight}|${e.role}|${maxW}`;
    g.select('g.edges')
      .selectAll<SVGLineElement, (typeof data.edges)[number]>('line')
      .data(data.edges.filter((e) => pos.has(e.from) && pos.has(e.to)), (e) => `${e.from}>${e.to}`)
      .join((enter) => {
        const e = enter.append('line');
        e.append('title');
        return e;
      })
      .filter(function (e) {
        return changedSince(this, edgeKey(e));
      })
      .attr('x1', (e) => pos.get(e.from)![0])
      .attr('y1', (e) => pos.get(e.from)![1])
      .attr('x2', (e) => pos.get(e.to)![0])
      .attr('y2', (e) => pos.get(e.to)![1])
      .attr('stroke', (e) => (e.role === 'path' ? divergingColour(e.weight, maxW, 0.55) : '#cbd5e1'))
      .attr('stroke-width', (e) => (e.role === 'path' ? 1.5 + 5 * (Math.abs(e.weight) / maxW) : 1))
      .attr('stroke-opacity', (e) => (e.role === 'path' ? 0.9 : 0.5))
      .select('title')
      .text((e) => `${e.from} → ${e.to}${e.role === 'path' ? `: grad×act ${e.weight.toFixed(4)}` : ''}`);
  };
  const drawNodes = (list: GraphNode[]) => {
    const nodeKey = (n: GraphNode) => `${pos.get(n.id)}|${n.kind}|${n.index}|${n.score}|${n.role}|${n.edited}|${sel.has(n.id)}|${data.maxAbs}|${L.rMax}|${L.sq}|${L.headLabels}`;
    const nodes = g
      .select('g.nodes')
      .selectAll<SVGGElement, GraphNode>('g.node')
      .data(list, (n) => n.id)
      .join((enter) => {
        const e = enter.append('g').attr('class', 'node').attr('tabindex', 0).attr('role', 'button').style('cursor', 'pointer');
        // A transparent hit area over the shape and its label, so the whole node takes clicks; a neuron is a
        // circle, a head a square (an element's kind never changes: the join is keyed by id).
        e.append('rect').attr('class', 'hit').attr('fill', 'transparent');
        e.each(function (n) {
          if (n.kind === 'neuron') d3.select(this).append('circle').attr('class', 'neuron-shape');
          else d3.select(this).append('rect').attr('class', 'head-shape');
        });
        e.append('text').attr('class', 'node-label').attr('x', 0).attr('text-anchor', 'middle');
        e.append('title');
        // The handlers of the latest draw (they change with the page's state; the elements stay).
        e.on('click', (ev: MouseEvent, n) => handlersOf(el)?.onSelect(n, ev.shiftKey || ev.ctrlKey || ev.metaKey)).on('keydown', (ev: KeyboardEvent, n) => {
          if (ev.key === 'Enter' || ev.key === ' ') handlersOf(el)?.onSelect(n, ev.shiftKey || ev.ctrlKey || ev.metaKey);
        });
        return e;
      })
      .filter(function (n) {
        return changedSince(this, nodeKey(n));
      })
      .attr('data-node-id', (n) => n.id)
      .attr('data-role', (n) => n.role)
      .attr('data-edited', (n) => (n.edited ? 'true' : null))
      .attr('transform', (n) => `translate(${pos.get(n.id)![0]},${pos.get(n.id)![1]})`);
    nodes
      .select('circle.neuron-shape')
      .attr('r', r)
      .attr('fill', (n) => divergingColour(n.score, data.maxAbs))
      .attr('fill-opacity', (n) => (n.role === 'runner' ? 0.45 : 1));
    markSelected(nodes, sel);
    // Edited units: a dashed violet ring around the shape, there only while the unit is edited.
    nodes
      .selectAll<SVGCircleElement, GraphNode>('circle.edit-ring')
      .data((n) => (n.edited ? [n] : []))
      .join((enter) => enter.insert('circle', ':nth-child(2)').attr('class', 'edit-ring').attr('fill', 'none').attr('stroke', '#7c3aed').attr('stroke-width', 2).attr('stroke-dasharray', '3 2'))
      .attr('r', (n) => (n.kind === 'neuron' ? r(n) + 3 : L.sq / 2 + 3));
    nodes
      .select('rect.hit')
      .attr('x', (n) => (n.kind === 'neuron' ? -Math.max(r(n), 14) : -L.sq / 2))
      .attr('y', (n) => (n.kind === 'neuron' ? -r(n) - 1 : -L.sq / 2))
      .attr('width', (n) => (n.kind === 'neuron' ? 2 * Math.max(r(n), 14) : L.sq))
      .attr('height', (n) => (n.kind === 'neuron' ? r(n) + 1 + L.rMax + 14 : L.sq + (L.headLabels ? 14 : 0)));
    nodes
      .select('rect.head-shape')
      .attr('x', -L.sq / 2)
      .attr('y', -L.sq / 2)
      .attr('width', L.sq)
      .attr('height', L.sq)
      .attr('fill', (n) => divergingColour(n.score, data.maxAbs));
    // Labels under the shape, centred: neurons always, heads only while a layer's few heads have room.
    nodes
      .select('text')
      .attr('y', (n) => (n.kind === 'neuron' ? L.rMax + 12 : L.sq / 2 + 11))
      .attr('display', (n) => (n.kind === 'neuron' || L.headLabels ? null : 'none'))
      .text((n) => (n.kind === 'neuron' ? `N${n.index}` : `H${n.index}`));
    nodes.select('title').text((n) => `${n.id} (${n.kind}${n.role === 'path' ? ', on the path' : n.role === 'runner' ? ', runner-up' : ''}${n.edited ? ', edited' : ''})\nscore ${n.score.toFixed(4)}`);
  };

  // New nodes beyond a slice are drawn a slice per task, so no task blocks the page for long.
  const all = data.nodes.filter((n) => pos.has(n.id));
  const fresh = all.filter((n) => !have.has(n.id));
  if (fresh.length <= SLICE) {
    drawNodes(all);
    drawEdges();
    svg.attr('aria-busy', null);
    lastDraw.set(el, { data, width, zoom, sel });
    return;
  }
  let shown = all.filter((n) => have.has(n.id));
  let next = 0;
  let timer: ReturnType<typeof setTimeout> | null = null;
  const slice = () => {
    shown = shown.concat(fresh.slice(next, next + SLICE));
    next += SLICE;
    drawNodes(shown);
    if (next < fresh.length) {
      timer = setTimeout(slice, 0);
      return;
    }
    stopSlices.delete(el);
    drawEdges();
    svg.attr('aria-busy', null);
    lastDraw.set(el, { data, width, zoom, sel });
  };
  svg.attr('aria-busy', 'true');
  stopSlices.set(el, () => timer && clearTimeout(timer));
  timer = setTimeout(slice, 0);

}

/** New nodes drawn per task in a large first draw (10-20 ms a slice on a 2-core machine, the code still cold). */
const SLICE = 16;
/** Each container's unfinished sliced draw, stopped when a newer draw starts. */
const stopSlices = new WeakMap<HTMLElement, () => void>();

/** What each element was last drawn from: an element whose key is unchanged is left as it is. */
const drawnKeys = new WeakMap<Element, string>();

function changedSince(el: Element, key: string): boolean {
  if (drawnKeys.get(el) === key) return false;
  drawnKeys.set(el, key);
  return true;
}

function handlersOf(el: HTMLElement): GraphHandlers | undefined {
  return drawHandlers.get(el);
}
