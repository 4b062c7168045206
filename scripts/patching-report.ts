/**
 * How well the cheap attributions track exact activation patching on the bundled models, written to
 * docs/faithfulness.md (between the patching-report markers) with the pairs in docs/patching-pairs-MODEL.txt:
 *   npx tsx scripts/patching-report.ts [--pairs=20] [--models=polyglot,induction]
 *
 * Pairs (same token count): polyglot — 24 characters of held-out text, one whole word in its second half
 * replaced by a word of the same length from another language's held-out text; induction — a random sequence cut
 * inside the second occurrence of its repeated span, corrupted by replacing the span's first occurrence with
 * other random tokens. A pair is kept when the clean and corrupted top-1 next tokens differ; the metric is
 * logit(clean top-1) − logit(corrupted top-1) at the last position.
 *
 * Methods, all in the denoising direction, scored per unit (MLP neuron, head, residual vector, MLP output vector)
 * and position:
 * exact activation patching (the reference); atp; relp; and two zero-baseline attributions of the metric
 * difference: gxa_diff = gxa(clean) − gxa(corrupted) and ig_diff = IG(clean) − IG(corrupted), each run on one
 * prompt with `attribute` (IG: per-layer scaling from zero, m doubled from 20 until every hook's completeness
 * gap is ≤ 5%; the residual's IG scales each layer's resid_pre at every position together). Compared entries:
 * every unit at every position from the first differing token on (before it every patching score is 0 by
 * causality). Figures: Pearson r pooled over all pairs' entries and the mean of the per-pair r; top-10 overlap
 * (by |score|) per pair, averaged.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { attribute } from '../src/analysis/attribution';
import { hookIntegratedGradients } from '../src/analysis/ig';
import { patch, type PatchHookKind } from '../src/analysis/patching';
import { resolveTarget } from '../src/analysis/targets';
import { initBackend } from '../src/engine/backend';
import type { Model } from '../src/engine/model';
import { loadModelDir } from '../src/engine/node-load';
import { runModel } from '../src/engine/run';
import type { HookName, Target } from '../src/engine/types';
import { inductionEvalSet } from '../src/train/induction-data';

/** mulberry32, seeded: the pairs are the same on every run. */
class Rng {
  constructor(private state: number) {}
  int(n: number): number {
    let t = (this.state = (this.state + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
  }
}

const argv = process.argv.slice(2);
const arg = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
const nPairs = Number(arg('pairs') ?? 20);
const models = (arg('models') ?? 'polyglot,induction').split(',');
tf.env().set('PROD', true);
await initBackend('wasm');

const METHODS = ['atp', 'relp', 'gxa_diff', 'ig_diff'] as const;
type Method = (typeof METHODS)[number];
const KINDS: PatchHookKind[] = ['mlp', 'heads', 'resid', 'mlp_out'];
const KIND_LABEL: Record<PatchHookKind, string> = { mlp: 'MLP neurons', heads: 'heads', resid: 'residual (resid_pre) positions', mlp_out: 'MLP outputs (hook_mlp_out)' };
const METHOD_LABEL: Record<Method, string> = { atp: 'AtP', relp: 'RelP', gxa_diff: 'grad × act, clean − corrupted', ig_diff: 'IG, clean − corrupted' };

interface Pair {
  clean: number[];
  corrupted: number[];
  cleanText: string;
  corruptedText: string;
  target: number;
  distractor: number;
}

const top1 = async (model: Model, ids: number[]) => {
  const r = await runModel(model, { inputIds: [ids], logits: 'last' });
  const d = r.logits!.data;
  let b = 0;
  for (let v = 1; v < d.length; v++) if (d[v] > d[b]) b = v;
  return b;
};

async function polyglotPairs(model: Model): Promise<Pair[]> {
  const tok = model.tokenizer!;
  const langs = ['en', 'de', 'es', 'it'];
  const lines = langs.map((l) => readFileSync(`data/polyglot/${l}.val.txt`, 'utf8').split('\n').filter((s) => s.length >= 60));
  const words = langs.map((_, i) => [...new Set(lines[i].join(' ').split(/\s+/).filter((w) => /^\p{L}+$/u.test(w)))]);
  const rng = new Rng(2025);
  const out: Pair[] = [];
  for (let i = 0; out.length < nPairs && i < 400; i++) {
    const li = i % 4;
    const line = lines[li][Math.floor(i / 4) + 10];
    if (!line) continue;
    const clean = line.slice(0, 24);
    // A whole word starting at character ≥ 10 and ending before the last two characters.
    const spans = [...clean.matchAll(/\p{L}{3,9}/gu)].filter((m) => m.index! >= 10 && m.index! + m[0].length <= 22 && (m.index === 0 || clean[m.index! - 1] === ' ') && clean[m.index! + m[0].length] === ' ');
    if (spans.length === 0) continue;
    const sp = spans[rng.int(spans.length)];
    const other = (li + 1 + rng.int(3)) % 4;
    const cands = words[other].filter((w) => w.length === sp[0].length && w.toLowerCase() !== sp[0].toLowerCase());
    if (cands.length === 0) continue;
    const w = cands[rng.int(cands.length)];
    const corrupted = clean.slice(0, sp.index) + w + clean.slice(sp.index! + w.length);
    const a = tok.encode(clean);
    const b = tok.encode(corrupted);
    if (a.length !== b.length || tok.decode(a) !== clean || tok.decode(b) !== corrupted) continue;
    const [t, d] = [await top1(model, a), await top1(model, b)];
    if (t === d) continue;
    out.push({ clean: a, corrupted: b, cleanText: clean, corruptedText: corrupted, target: t, distractor: d });
  }
  return out;
}

async function inductionPairs(model: Model): Promise<Pair[]> {
  const tok = model.tokenizer!;
  const V = Math.min(64, model.config.vocabSize);
  const rng = new Rng(77);
  const decode = (ids: number[]) => ids.map((i) => tok.tokenString(i)).join('');
  const out: Pair[] = [];
  for (const s of inductionEvalSet(4 * nPairs, Math.min(48, model.config.nCtx), V, 5151)) {
    if (out.length >= nPairs) break;
    if (s.repeated.length < 4) continue;
    // Cut inside the second occurrence: its positions are the first L − 1 entries of `repeated`.
    const span = s.first.findIndex((p, k) => k > 0 && p < s.first[k - 1]);
    const secondLen = span < 0 ? s.first.length : span;
    const q = s.repeated[Math.min(secondLen - 1, 2 + rng.int(Math.max(1, secondLen - 3)))];
    const clean = s.ids.slice(0, q + 1);
    const corrupted = clean.slice();
    const firstStart = s.first[0];
    for (let p = firstStart; p <= s.first[secondLen - 1] + 1; p++) {
      let v = rng.int(V);
      while (v === clean[p]) v = rng.int(V);
      corrupted[p] = v;
    }
    const cleanText = decode(clean);
    const corruptedText = decode(corrupted);
    if (tok.encode(cleanText).join() !== clean.join() || tok.encode(corruptedText).join() !== corrupted.join()) continue;
    const [t, d] = [await top1(model, clean), await top1(model, corrupted)];
    if (t === d) continue;
    out.push({ clean, corrupted, cleanText, corruptedText, target: t, distractor: d });
  }
  return out;
}

/** gxa or IG of one prompt for every hook of the report, as [T, N] per hook. */
async function zeroBaseline(model: Model, ids: number[], target: Target, method: 'gxa' | 'ig'): Promise<Record<HookName, Float32Array>> {
  const cfg = model.config;
  const T = ids.length;
  const out: Record<HookName, Float32Array> = {};
  const a = await attribute(model, { ids, target, method, positions: 'all', ...(method === 'ig' ? { steps: 20, maxGap: 0.05 } : {}) });
  for (const [h, s] of Object.entries(a.scores)) out[h] = s.data;
  // Whole-vector units: the residual entering each block and each block's MLP output.
  const resid = Array.from({ length: cfg.nLayer }, (_, l) => [`blocks.${l}.hook_resid_pre`, `blocks.${l}.hook_mlp_out`]).flat();
  if (method === 'gxa') {
    const r = await runModel(model, { inputIds: [ids], capture: resid, target, logits: 'none' });
    for (const h of resid) {
      const x = r.activations[h].data;
      const g = r.grads[h].data;
      const D = cfg.dModel;
      out[h] = Float32Array.from({ length: T }, (_, t) => {
        let s = 0;
        for (let i = 0; i < D; i++) s += x[t * D + i] * g[t * D + i];
        return s;
      });
    }
  } else {
    const all = Array.from({ length: T }, (_, t) => t);
    // Each hook scaled alone (the residual at every position at once), with the steps IG needed above.
    const r = await hookIntegratedGradients(model, ids, resolveTarget(target, T, cfg), resid, all, a.steps ?? 20);
    for (const h of resid) {
      const D = cfg.dModel;
      out[h] = Float32Array.from({ length: T }, (_, t) => {
        let s = 0;
        for (let i = 0; i < D; i++) s += r[h].data[t * D + i];
        return s;
      });
    }
  }
  return out;
}

function pearson(x: number[], y: number[]): number {
  const n = x.length;
  const mx = x.reduce((a, b) => a + b, 0) / n;
  const my = y.reduce((a, b) => a + b, 0) / n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    sxy += (x[i] - mx) * (y[i] - my);
    sxx += (x[i] - mx) ** 2;
    syy += (y[i] - my) ** 2;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : NaN;
}

function topOverlap(x: number[], y: number[], k = 10): number {
  const top = (v: number[]) => new Set(v.map((a, i) => [Math.abs(a), i]).sort((a, b) => b[0] - a[0]).slice(0, k).map(([, i]) => i));
  const a = top(x);
  let n = 0;
  for (const i of top(y)) if (a.has(i)) n++;
  return n / Math.min(k, x.length);
}

type Entries = Record<PatchHookKind, Record<'exact' | Method, number[]>>;

async function scorePair(model: Model, pair: Pair): Promise<Entries> {
  const { clean, corrupted, target, distractor } = pair;
  const T = clean.length;
  const first = clean.findIndex((x, i) => x !== corrupted[i]);
  const req = { clean, corrupted, target, distractor, metric: 'logit_diff' as const, hooks: KINDS };
  const res = {
    exact: (await patch(model, { ...req, method: 'exact' })).scores,
    atp: (await patch(model, { ...req, method: 'atp' })).scores,
    relp: (await patch(model, { ...req, method: 'relp' })).scores,
  };
  const tgt: Target = { kind: 'logit_diff', token: target, distractor };
  const diff = async (m: 'gxa' | 'ig') => {
    const [a, b] = [await zeroBaseline(model, clean, tgt, m), await zeroBaseline(model, corrupted, tgt, m)];
    return Object.fromEntries(Object.keys(a).map((h) => [h, a[h].map((x, i) => x - b[h][i])]));
  };
  const gxa = await diff('gxa');
  const ig = await diff('ig');
  const out = Object.fromEntries(KINDS.map((k) => [k, { exact: [], atp: [], relp: [], gxa_diff: [], ig_diff: [] }])) as unknown as Entries;
  for (const [h, s] of Object.entries(res.exact)) {
    const kind: PatchHookKind = h.endsWith('mlp.hook_post') ? 'mlp' : h.endsWith('attn.hook_z') ? 'heads' : h.endsWith('hook_mlp_out') ? 'mlp_out' : 'resid';
    const N = s.shape[1];
    for (let p = first; p < T; p++) {
      for (let n = 0; n < N; n++) {
        const i = p * N + n;
        out[kind].exact.push(s.data[i]);
        out[kind].atp.push(res.atp[h].data[i]);
        out[kind].relp.push(res.relp[h].data[i]);
        out[kind].gxa_diff.push(gxa[h][i]);
        out[kind].ig_diff.push(ig[h][i]);
      }
    }
  }
  return out;
}

const f2 = (x: number) => (Number.isNaN(x) ? '—' : x.toFixed(3));
const sections: string[] = [];
const json: Record<string, unknown> = {};
for (const name of models) {
  if (!existsSync(`public/models/${name}/config.json`)) continue;
  const model = await loadModelDir(name);
  const pairs = name === 'induction' ? await inductionPairs(model) : await polyglotPairs(model);
  const file = `docs/patching-pairs-${name}.txt`;
  writeFileSync(file, pairs.map((p) => `${p.cleanText}\t${p.corruptedText}\t#${p.target}\t#${p.distractor}`).join('\n') + '\n');
  const t0 = performance.now();
  const per: Entries[] = [];
  for (const [i, p] of pairs.entries()) {
    per.push(await scorePair(model, p));
    console.error(`${name}: pair ${i + 1}/${pairs.length} (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  const stats: Record<string, Record<string, { pooled: number; meanR: number; minR: number; overlap: number }>> = {};
  for (const k of KINDS) {
    stats[k] = {};
    for (const m of METHODS) {
      const rs = per.map((e) => pearson(e[k][m], e[k].exact)).filter((x) => !Number.isNaN(x));
      stats[k][m] = {
        pooled: pearson(per.flatMap((e) => e[k][m]), per.flatMap((e) => e[k].exact)),
        meanR: rs.reduce((a, b) => a + b, 0) / rs.length,
        minR: Math.min(...rs),
        overlap: per.reduce((a, e) => a + topOverlap(e[k][m], e[k].exact), 0) / per.length,
      };
    }
  }
  json[name] = { pairs: pairs.length, seconds: Number(secs), stats };
  const rows = [
    `| method | ${KINDS.map((k) => `${KIND_LABEL[k]}: r pooled (mean per pair) | top-10`).join(' | ')} |`,
    `| --- | ${KINDS.map(() => '--- | ---').join(' | ')} |`,
    ...METHODS.map((m) => `| ${METHOD_LABEL[m]} | ${KINDS.map((k) => `${f2(stats[k][m].pooled)} (${f2(stats[k][m].meanR)}) | ${f2(stats[k][m].overlap)}`).join(' | ')} |`),
  ];
  const relpMlp = stats.mlp.relp.pooled;
  const relpOut = stats.mlp_out.relp.pooled;
  sections.push(
    [
      `### ${name}`,
      '',
      `${pairs.length} pairs ([patching-pairs-${name}.txt](patching-pairs-${name}.txt): clean TAB corrupted TAB target TAB distractor); ${secs} s for all methods on WASM. Entries per pair: ${KINDS.map((k) => `${KIND_LABEL[k]} ${per[0]?.[k].exact.length ?? 0}`).join(', ')} (first pair).`,
      '',
      rows.join('\n'),
      '',
      `RelP on MLP neurons: r = ${f2(relpMlp)} pooled, ${f2(stats.mlp.relp.meanR)} per pair (lowest pair ${f2(stats.mlp.relp.minR)}); on MLP outputs r = ${f2(relpOut)} pooled (AtP ${f2(stats.mlp_out.atp.pooled)}). The RelP ≥ 0.95 target is ${relpMlp >= 0.95 ? 'met' : 'not met'} on MLP neurons and ${relpOut >= 0.95 ? 'met' : 'not met'} on MLP outputs here.`,
      '',
      `Reproduce one pair with the CLI: \`npx pathlight patch --model ${name} --clean "${pairs[0]?.cleanText}" --corrupted "${pairs[0]?.corruptedText}" --target "#${pairs[0]?.target}" --distractor "#${pairs[0]?.distractor}" --method relp\` (and \`--method exact\`, \`atp\`).`,
    ].join('\n'),
  );
  model.dispose();
}

const block = `<!-- patching-report: generated by scripts/patching-report.ts; edit outside the markers -->

## Patching: how close the cheap attributions come to exact patching

Per clean/corrupted pair, every unit's exact activation-patching effect (denoising: the corrupted run with the unit
set to its clean value, minus the corrupted run; metric logit(clean top-1) − logit(corrupted top-1) at the last
position) against four one-pass estimates: **AtP** ((a_clean − a_corrupted) · gradient on the corrupted run),
**RelP** (the same with LRP relevance in place of the gradient: docs/terminology.md "Relevance rules"), and the
difference of a zero-baseline attribution of the same metric on the two prompts, **grad × act** and **IG**
(\`attribute\`'s gxa and ig: gxa(clean) − gxa(corrupted), IG(clean) − IG(corrupted); IG with m doubled from 20 until
every hook's completeness gap is ≤ 5%; the whole-vector units' IG scales each such hook alone, at every position
at once). Entries: every MLP neuron, head, residual vector (\`hook_resid_pre\`) and MLP output vector
(\`hook_mlp_out\`, the unit of the published anchor) of every layer at every position from the first differing
token on. Pearson r is pooled over all entries of all pairs
(the mean of the per-pair r in parentheses); top-10 is the share of the 10 largest |exact| effects among a method's
10 largest |scores|, averaged over pairs. Published anchor (Jafari et al. 2025, GPT-2 Large, MLP outputs): RelP
0.956, AtP 0.006.

Reproduce: \`npx tsx scripts/patching-report.ts --pairs=${nPairs}\`.

${sections.join('\n\n')}
<!-- /patching-report -->
`;
const doc = existsSync('docs/faithfulness.md') ? readFileSync('docs/faithfulness.md', 'utf8') : '';
const start = doc.indexOf('<!-- patching-report');
const end = doc.indexOf('<!-- /patching-report -->');
const next = start >= 0 && end > start ? doc.slice(0, start) + block + doc.slice(end + '<!-- /patching-report -->\n'.length) : doc.trimEnd() + '\n\n' + block;
writeFileSync('docs/faithfulness.md', next);
writeFileSync('docs/patching-report.json', JSON.stringify(json, null, 1) + '\n');
console.log(block);
