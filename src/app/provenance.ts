/**
 * What every export names: the app and its version, the model (name, architecture, fingerprint when it came from
 * local files), the prompt and its tokens, the method and its settings, the edits, and when it was made. JSON
 * exports carry it as a `provenance` field, CSV as leading `# ` lines, images as a visible title and legend plus
 * the same record in the SVG's <metadata>.
 */
import pkg from '../../package.json';
import type { State } from '../store/store';

export interface Provenance {
  app: string;
  version: string;
  createdAt: string;
  model: { name: string; architecture: string | null; source: string; fingerprint?: string };
  prompt: string;
  tokens: string[];
  method: { name: string; steps: number; beam: number };
  target: { token: string; id: number; distractor?: { token: string; id: number } } | null;
  edits: string[];
  /** The reference text behind mean edits and neuron cards, and how it was cut (src/analysis/means.ts); null: none. */
  reference: { source: string; windows: number; tokens: number; window_tokens: number; rule: string } | null;
}

export const APP_VERSION: string = (pkg as { version: string }).version;

export function provenanceOf(s: Pick<State, 'model' | 'modelRef' | 'prompt' | 'tokens' | 'method' | 'steps' | 'beam' | 'target' | 'distractor' | 'clean' | 'edits' | 'reference'>): Provenance {
  const ref = s.modelRef as { kind: string; name?: string; url?: string; fingerprint?: { sha256: string } };
  const top = s.clean?.[0];
  const target = s.target ?? (top ? { id: top.id, token: top.token } : null);
  return {
    app: 'Pathlight',
    version: APP_VERSION,
    createdAt: new Date().toISOString(),
    model: { name: s.model?.name ?? ref.name ?? 'model', architecture: s.model?.config.modelType ?? null, source: ref.kind === 'url' ? ref.url ?? 'url' : `${ref.kind}${ref.name ? `:${ref.name}` : ''}`, fingerprint: ref.fingerprint?.sha256 },
    prompt: s.prompt,
    tokens: s.tokens?.tokens ?? [],
    method: { name: s.method, steps: s.steps, beam: s.beam },
    target: target ? { token: target.token, id: target.id, distractor: s.distractor ? { token: s.distractor.token, id: s.distractor.id } : undefined } : null,
    edits: s.edits.filter((e) => e.enabled).map((e) => `${e.label ?? `${e.hook}[${e.index ?? '*'}] ${e.op}${e.value !== undefined ? ` ${e.value}` : ''}`}${e.op === 'mean' && s.reference ? ` (mean over ${s.reference.name})` : ''}`),
    reference: s.reference ? { source: s.reference.name, windows: s.reference.windows, tokens: s.reference.tokens, window_tokens: s.reference.windowTokens, rule: s.reference.rule } : null,
  };
}

/** A JSON export text with the provenance record added as its first field. */
export function withProvenanceJson(text: string, p: Provenance): string {
  const body = JSON.parse(text) as Record<string, unknown>;
  return JSON.stringify({ provenance: p, ...body }, null, 1);
}

/** A CSV export with the provenance as leading comment lines. */
export function withProvenanceCsv(text: string, p: Provenance): string {
  const lines = [
    `# ${p.app} ${p.version}, ${p.createdAt}`,
    `# model: ${p.model.name} (${p.model.architecture ?? '?'}) from ${p.model.source}${p.model.fingerprint ? `, sha256 ${p.model.fingerprint}` : ''}`,
    `# prompt: ${JSON.stringify(p.prompt)} (${p.tokens.length} tokens)`,
    `# method: ${p.method.name}, steps ${p.method.steps}, beam ${p.method.beam}; target ${p.target ? JSON.stringify(p.target.token) : '—'}${p.target?.distractor ? ` vs ${JSON.stringify(p.target.distractor.token)}` : ''}`,
    `# edits: ${p.edits.length ? p.edits.join('; ') : 'none'}`,
    `# reference text: ${p.reference ? `${p.reference.source}, ${p.reference.windows} windows, ${p.reference.tokens} tokens (${p.reference.rule})` : 'none'}`,
  ];
  return `${lines.join('\n')}\n${text}`;
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** An exported graph SVG with a title block (model, prompt, method, target), a legend, and the record as <metadata>. */
export function withProvenanceSvg(svgText: string, p: Provenance): string {
  const decl = /^<\?xml[^>]*>\s*/.exec(svgText)?.[0] ?? '';
  const m = /^<svg([^>]*)>([\s\S]*)<\/svg>\s*$/.exec(svgText.slice(decl.length).trim());
  if (!m) return svgText;
  const attrs = m[1];
  const w = Number(/\swidth="([\d.]+)"/.exec(attrs)?.[1] ?? 900);
  const h = Number(/\sheight="([\d.]+)"/.exec(attrs)?.[1] ?? 420);
  const HEAD = 58;
  const prompt = p.prompt.length > 120 ? `${p.prompt.slice(0, 117)}…` : p.prompt;
  const rest = attrs.replace(/\s(width|height|viewBox)="[^"]*"/g, '');
  const legend = [
    `<circle cx="8" cy="44" r="5" fill="#2563eb"/><text x="18" y="48">promotes the target</text>`,
    `<circle cx="150" cy="44" r="5" fill="#dc2626"/><text x="160" y="48">suppresses</text>`,
    `<rect x="246" y="39" width="10" height="10" fill="#93c5fd" stroke="#64748b"/><text x="262" y="48">attention head</text>`,
    `<circle cx="370" cy="44" r="6" fill="none" stroke="#7c3aed" stroke-dasharray="3 2" stroke-width="2"/><text x="382" y="48">edited</text>`,
    `<circle cx="450" cy="44" r="5" fill="white" stroke="#111827" stroke-width="2.5"/><text x="460" y="48">on the path</text>`,
  ].join('');
  return decl + [
    `<svg${rest} width="${w}" height="${h + HEAD}" viewBox="0 0 ${w} ${h + HEAD}">`,
    `<title>${esc(`${p.app}: ${p.model.name}, "${prompt}"`)}</title>`,
    `<metadata>${esc(JSON.stringify(p))}</metadata>`,
    `<rect width="${w}" height="${HEAD}" fill="white"/>`,
    `<g font-family="sans-serif" font-size="11" fill="#223">`,
    `<text x="4" y="14" font-size="13" font-weight="bold">${esc(`${p.app} ${p.version} · ${p.model.name} (${p.model.architecture ?? '?'}) · ${p.method.name}`)}</text>`,
    `<text x="4" y="30">${esc(`prompt: "${prompt}" (${p.tokens.length} tokens) · target ${p.target ? JSON.stringify(p.target.token) : '—'}${p.edits.length ? ` · ${p.edits.length} edit(s)` : ''}`)}</text>`,
    legend,
    `</g>`,
    `<g transform="translate(0,${HEAD})">${m[2]}</g>`,
    `</svg>`,
  ].join('');
}
