/**
 * Exports of results: the path graph as SVG (styles inlined, so it renders the same outside the page) and
 * PNG; attributions, paths and faithfulness results as JSON and CSV; and a download helper.
 * The serialisers are pure; svgString, svgToPng and downloadBlob need a browser.
 */
import type { AttributionResult } from '../analysis/attribution';
import type { FaithfulnessResult } from '../analysis/faithfulness';
import type { PathNode, PathResult } from '../analysis/path';
import { formatNodeId, nodeFromHook } from '../engine/nodeid';

// ------------------------------------------------------------------------------------------------- CSV

/**
 * One CSV cell (RFC 4180): quoted when it holds a comma, quote, CR or LF or starts or ends with a space;
 * quotes doubled. Text cells starting with = + - @ tab or CR get a leading apostrophe, so a spreadsheet
 * shows them as text instead of running them as formulas. Numbers are written in full precision.
 */
export function csvCell(x: unknown): string {
  if (x === null || x === undefined) return '';
  if (typeof x === 'number') return Number.isFinite(x) ? String(x) : Number.isNaN(x) ? 'NaN' : x > 0 ? 'Infinity' : '-Infinity';
  if (typeof x === 'boolean' || typeof x === 'bigint') return String(x);
  let s = String(x);
  if (/^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\r\n]|^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A CSV text with a header row; lines end in CRLF (RFC 4180). */
export function toCsv(header: string[], rows: unknown[][]): string {
  return [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n';
}

/** JSON text in which typed arrays are plain arrays and non-finite numbers null. */
export function toJsonText(x: unknown, indent?: number): string {
  return JSON.stringify(x, (_k, v) => (ArrayBuffer.isView(v) && !(v instanceof DataView) ? Array.from(v as unknown as ArrayLike<number>) : v), indent);
}

const layerOf = (hook: string): number | null => {
  const m = /^blocks\.(\d+)\./.exec(hook);
  return m ? Number(m[1]) : null;
};

// ------------------------------------------------------------------------------------------ attribution

export type ScoresLike = Record<string, { shape: number[]; data: ArrayLike<number> }>;

export const ATTRIBUTION_COLUMNS = ['hook', 'layer', 'position', 'index', 'node_id', 'score'];

/**
 * Rows hook, layer, position, index, node_id, score of node scores ({hook: [T, N]}). With skipZeroPositions
 * (default), positions where every score of a hook is 0 — the positions a method did not score — are left out.
 */
export function attributionRows(scores: ScoresLike, opts: { skipZeroPositions?: boolean } = {}): unknown[][] {
  const skip = opts.skipZeroPositions ?? true;
  const rows: unknown[][] = [];
  for (const [hook, t] of Object.entries(scores)) {
    const [T, N] = t.shape.length >= 2 ? t.shape : [1, t.shape[0] ?? t.data.length];
    for (let p = 0; p < T; p++) {
      if (skip) {
        let any = false;
        for (let i = 0; i < N && !any; i++) any = t.data[p * N + i] !== 0;
        if (!any) continue;
      }
      for (let i = 0; i < N; i++) {
        const node = nodeFromHook(hook, i, p);
        rows.push([hook, layerOf(hook), p, i, node ? formatNodeId(node) : '', t.data[p * N + i]]);
      }
    }
  }
  return rows;
}

export function attributionCsv(r: Pick<AttributionResult, 'scores'> | { scores: ScoresLike }, opts?: { skipZeroPositions?: boolean }): string {
  return toCsv(ATTRIBUTION_COLUMNS, attributionRows(r.scores as ScoresLike, opts));
}

export function attributionJson(r: AttributionResult): string {
  return toJsonText({ kind: 'pathlight-attribution', version: 1, ...r }, 1);
}

// ------------------------------------------------------------------------------------------------ paths

export const PATH_COLUMNS = ['set', 'rank', 'layer', 'hook', 'index', 'position', 'node_id', 'score'];

type PathLike = Pick<PathResult, 'path' | 'runners_up' | 'baselines'> & { beams?: PathNode[][]; edges?: PathResult['edges'] };

/**
 * Rows of a path result: the path (set `path`, rank = step), the other beam paths (`beam2`…), the runners-up
 * of each layer (`runner_up`, rank within the layer) and the baselines (`baseline_activation`, …).
 */
export function pathRows(r: PathLike): unknown[][] {
  const row = (set: string, rank: number, n: PathNode) => [set, rank, layerOf(n.hook), n.hook, n.index, n.position, n.node ?? formatNodeId({ kind: 'neuron', layer: layerOf(n.hook) ?? 0, index: n.index, position: n.position }), n.score];
  const rows: unknown[][] = [];
  r.path.forEach((n, i) => rows.push(row('path', i + 1, n)));
  (r.beams ?? []).slice(1).forEach((b, k) => b.forEach((n, i) => rows.push(row(`beam${k + 2}`, i + 1, n))));
  r.runners_up.forEach((layer) => layer.forEach((n, i) => rows.push(row('runner_up', i + 1, n))));
  for (const [name, nodes] of Object.entries(r.baselines)) nodes.forEach((n, i) => rows.push(row(`baseline_${name}`, i + 1, n)));
  return rows;
}

export function pathCsv(r: PathLike): string {
  return toCsv(PATH_COLUMNS, pathRows(r));
}

export function pathEdgesCsv(r: Pick<PathResult, 'edges'>): string {
  return toCsv(['from', 'to', 'weight'], r.edges.map((e) => [e.from, e.to, e.weight]));
}

/**
 * The path result as JSON. The per-layer arrays over every neuron (`layerScores`, `layerIg`: large) only
 * when asked for.
 */
export function pathJson(r: Pick<PathResult, 'path'> & { layerScores?: unknown; layerIg?: unknown }, opts: { perLayer?: boolean } = {}): string {
  const { layerScores, layerIg, ...rest } = r;
  const perLayer = opts.perLayer ? { ...(layerScores !== undefined ? { layerScores } : {}), ...(layerIg !== undefined ? { layerIg } : {}) } : {};
  return toJsonText({ kind: 'pathlight-path', version: 1, ...rest, ...perLayer }, 1);
}

// ------------------------------------------------------------------------------------------ faithfulness

/** Long format: one row per prompt, method and manipulation; `path` lists the method's node ids when known. */
export function faithfulnessCsv(r: FaithfulnessResult): string {
  const rows: unknown[][] = [];
  for (const row of r.rows) {
    const paths = row.paths as Record<string, string[]> | undefined;
    for (const [method, byMan] of Object.entries(row.delta)) {
      for (const [man, d] of Object.entries(byMan)) rows.push([row.prompt, row.token, row.pClean, method, man, d, paths?.[method]?.join(' ') ?? '']);
    }
  }
  return toCsv(['prompt', 'token', 'p_clean', 'method', 'manipulation', 'delta', 'path'], rows);
}

export function faithfulnessSummaryCsv(r: FaithfulnessResult): string {
  return toCsv(['method', 'manipulation', 'mean', 'sd', 'n'], r.summary.map((s) => [s.method, s.manipulation, s.mean, s.sd, s.n]));
}

/** NeuronPath against each baseline (win rate, mean difference), when the result has the comparison. */
export function faithfulnessPairedCsv(r: FaithfulnessResult): string {
  return toCsv(['baseline', 'manipulation', 'win_rate', 'mean_diff'], (r.paired ?? []).map((p) => [p.baseline, p.manipulation, p.winRate, p.meanDiff]));
}

export function faithfulnessJson(r: FaithfulnessResult): string {
  return toJsonText({ kind: 'pathlight-faithfulness', version: 1, ...r }, 1);
}

// -------------------------------------------------------------------------------------------------- SVG

/** The DOM surface the serializer reads (a real SVG element, or plain objects in tests). */
export interface NodeLike {
  nodeType: number;
  nodeName: string;
  nodeValue: string | null;
  childNodes: ArrayLike<NodeLike>;
  attributes?: ArrayLike<{ name: string; value: string }>;
}

/** Presentation properties copied from computed styles into each element's style attribute. */
export const INLINED_PROPERTIES = [
  'fill',
  'fill-opacity',
  'stroke',
  'stroke-width',
  'stroke-opacity',
  'stroke-dasharray',
  'stroke-linecap',
  'stroke-linejoin',
  'opacity',
  'display',
  'visibility',
  'font-family',
  'font-size',
  'font-weight',
  'font-style',
  'text-anchor',
  'dominant-baseline',
  'paint-order',
] as const;

const escapeText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
const escapeAttr = (s: string) => escapeText(s).replace(/"/g, '&quot;');

/** Elements never exported: scripts, embedded HTML, and UI marked data-export="skip". */
const SKIPPED = new Set(['script', 'foreignobject', 'iframe', 'style']);

function attr(n: NodeLike, name: string): string | null {
  const a = n.attributes;
  if (!a) return null;
  for (let i = 0; i < a.length; i++) if (a[i].name === name) return a[i].value;
  return null;
}

/**
 * Serializes an SVG tree as standalone XML: every element's style replaced by `styleOf(el)` when given,
 * event-handler attributes and links other than in-document (#id) or data:image ones dropped, scripts and
 * foreignObject left out, text escaped. Adds the SVG namespaces to the root.
 */
export function serializeSvg(root: NodeLike, opts: { styleOf?: (el: NodeLike) => string; width?: number; height?: number; background?: string } = {}): string {
  const out: string[] = [];
  const visit = (n: NodeLike, isRoot: boolean) => {
    if (n.nodeType === 3 || n.nodeType === 4) {
      out.push(escapeText(n.nodeValue ?? ''));
      return;
    }
    if (n.nodeType !== 1) return;
    const tag = n.nodeName;
    if (SKIPPED.has(tag.toLowerCase()) || attr(n, 'data-export') === 'skip') return;
    const attrs: Array<[string, string]> = [];
    const a = n.attributes ?? [];
    for (let i = 0; i < a.length; i++) {
      const { name, value } = a[i];
      const lower = name.toLowerCase();
      if (lower.startsWith('on') || lower === 'style' || (isRoot && (lower === 'xmlns' || lower === 'xmlns:xlink' || lower === 'width' || lower === 'height'))) continue;
      if ((lower === 'href' || lower === 'xlink:href') && !/^(#|data:image\/(png|jpeg|gif|webp);)/i.test(value.trim())) continue;
      attrs.push([name, value]);
    }
    const style = opts.styleOf ? opts.styleOf(n) : (attr(n, 'style') ?? '');
    if (style) attrs.push(['style', style]);
    if (isRoot) {
      attrs.unshift(['xmlns', 'http://www.w3.org/2000/svg'], ['xmlns:xlink', 'http://www.w3.org/1999/xlink'], ...(opts.width !== undefined ? ([['width', String(opts.width)]] as Array<[string, string]>) : []), ...(opts.height !== undefined ? ([['height', String(opts.height)]] as Array<[string, string]>) : []));
    }
    out.push(`<${tag}${attrs.map(([k, v]) => ` ${k}="${escapeAttr(v)}"`).join('')}>`);
    if (isRoot && opts.background) out.push(`<rect x="0" y="0" width="100%" height="100%" fill="${escapeAttr(opts.background)}"/>`);
    for (let i = 0; i < n.childNodes.length; i++) visit(n.childNodes[i], false);
    out.push(`</${tag}>`);
  };
  visit(root, true);
  return `<?xml version="1.0" encoding="UTF-8"?>\n${out.join('')}`;
}

/** Initial values of the inlined properties that are not inherited (written only when different). */
const NOT_INHERITED: Record<string, string> = { opacity: '1', display: 'inline', 'dominant-baseline': 'auto' };

/**
 * The inline style for one element from computed styles: inherited properties where they differ from the
 * parent's, the others where they differ from their initial value. The root gets every inherited property.
 */
export function styleDiff(own: (p: string) => string, parent: ((p: string) => string) | null): string {
  return INLINED_PROPERTIES.map((p) => [p, own(p)] as const)
    .filter(([p, v]) => v !== '' && (p in NOT_INHERITED ? v !== NOT_INHERITED[p] : parent === null || parent(p) !== v))
    .map(([p, v]) => `${p}:${v}`)
    .join(';');
}

/** The SVG as a standalone document: the current view, with computed styles inlined (browser only). */
export function svgString(svg: SVGSVGElement, opts: { background?: string } = {}): string {
  const box = svg.getBoundingClientRect();
  const styleOf = (n: NodeLike) => {
    const el = n as unknown as Element;
    const cs = getComputedStyle(el);
    const parent = el === svg || !el.parentElement ? null : getComputedStyle(el.parentElement);
    return styleDiff((p) => cs.getPropertyValue(p), parent && ((p) => parent.getPropertyValue(p)));
  };
  return serializeSvg(svg as unknown as NodeLike, { styleOf, width: Math.round(box.width), height: Math.round(box.height), background: opts.background });
}

/** Renders the SVG to a PNG at `scale` × its on-screen size, on a white background (browser only). */
export async function svgToPng(svg: SVGSVGElement, scale = 2, background = '#ffffff', decorate: (svgText: string) => string = (t) => t): Promise<Blob> {
  const text = decorate(svgString(svg, { background }));
  const size = (k: string) => Number(new RegExp(`<svg[^>]*\\s${k}="([\\d.]+)"`).exec(text)?.[1] ?? 0);
  const box = { width: size('width') || svg.getBoundingClientRect().width, height: size('height') || svg.getBoundingClientRect().height };
  const img = new Image();
  img.src = `data:image/svg+xml;charset=utf-8,${encodeURIComponent(text)}`;
  await img.decode();
  const canvas = document.createElement('canvas');
  canvas.width = Math.max(1, Math.round(box.width * scale));
  canvas.height = Math.max(1, Math.round(box.height * scale));
  const ctx = canvas.getContext('2d');
  if (!ctx) throw new Error('no 2D canvas');
  ctx.drawImage(img, 0, 0, canvas.width, canvas.height);
  return new Promise((resolve, reject) => canvas.toBlob((b) => (b ? resolve(b) : reject(new Error('the PNG could not be made'))), 'image/png'));
}

// ------------------------------------------------------------------------------------------------ files

/** A file name safe on every OS: no path separators, reserved or control characters; at most 120 characters. */
export function safeFileName(name: string): string {
  // eslint-disable-next-line no-control-regex
  const s = name.replace(/[\\/:*?"<>|\x00-\x1f\x7f]/g, '_').replace(/^[.\s]+|[.\s]+$/g, '').slice(0, 120);
  return s || 'pathlight';
}

/** Saves a blob as a file via a temporary link (browser only). */
export function downloadBlob(name: string, blob: Blob): void {
  const url = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = url;
  a.download = safeFileName(name);
  a.rel = 'noopener';
  a.style.display = 'none';
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export function downloadText(name: string, text: string, type = 'text/plain'): void {
  downloadBlob(name, new Blob([text], { type: `${type};charset=utf-8` }));
}
