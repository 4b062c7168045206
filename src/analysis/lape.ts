/**
 * Language-specific neurons by LAPE (language activation probability entropy; Tang et al. 2024, used by
 * "Language Arithmetics"), and switching the continuation language by editing them.
 *
 * 1. For every MLP neuron (`blocks.L.mlp.hook_post`) and language: the probability that the neuron is active
 *    (value > 0) on a token of that language's text, and its mean value when active.
 * 2. Normalise each neuron's probabilities over the languages into a distribution and take its entropy: low
 *    entropy = the neuron fires for few languages.
 * 3. Selection as in the LAPE reference code: drop neurons whose probability is above the `filterRate`
 *    quantile of all probabilities for no language; keep the `topRate` share of all neurons with the lowest
 *    entropy; assign each to the languages where its probability exceeds the `barRate` quantile.
 * 4. Switch A → B: deactivate A's neurons (set to 0) and activate B's (set to their mean active value on B),
 *    at every position and every generation step. The baseline edits as many random neurons the same way.
 */
import { fail } from '../engine/errors';
import type { Model } from '../engine/model';
import { runModel } from '../engine/run';
import type { Edit } from '../engine/types';
import { Rng } from './rng';
import { generateBatch } from './generate';
import { checkCancelled, type AnalysisOptions } from './options';
import { identifyLanguage, type LanguageId } from './language-id';

export interface LapeRequest {
  /** Token windows per language (windows of one language may differ in length; equal lengths batch best). */
  texts: Record<string, number[][]>;
  batchSize?: number;
}

export interface LapeStats {
  langs: string[];
  nLayer: number;
  dMlp: number;
  /** Tokens seen per language. */
  tokens: number[];
  /** P(neuron > 0 | language), index ((layer·dMlp + neuron)·K + lang). */
  prob: Float32Array;
  /** Mean value of the neuron over the tokens where it is active, same index. */
  meanActive: Float32Array;
  /** Entropy (nats) of the neuron's probabilities normalised over languages, index (layer·dMlp + neuron). */
  entropy: Float32Array;
}

export interface NeuronRef {
  layer: number;
  index: number;
}

/** Activation probabilities, mean active values and entropies of every MLP neuron over the languages' texts. */
export async function lapeStats(model: Model, req: LapeRequest, opts: AnalysisOptions = {}): Promise<LapeStats> {
  const cfg = model.config;
  const langs = Object.keys(req.texts);
  if (langs.length < 2) fail('LAPE needs texts in at least two languages');
  const K = langs.length;
  const L = cfg.nLayer;
  const M = cfg.dMlp;
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.mlp.hook_post`);
  const active = new Float64Array(L * M * K);
  const sumActive = new Float64Array(L * M * K);
  const tokens = new Array<number>(K).fill(0);
  const bs = Math.max(1, req.batchSize ?? 16);
  const jobs: Array<{ k: number; seqs: number[][] }> = [];
  langs.forEach((lang, k) => {
    const windows = req.texts[lang].filter((w) => w.length > 0);
    if (windows.length === 0) fail(`LAPE: no text for language "${lang}"`);
    const byLen = new Map<number, number[][]>();
    for (const w of windows) byLen.set(w.length, [...(byLen.get(w.length) ?? []), w]);
    for (const group of byLen.values()) for (let i = 0; i < group.length; i += bs) jobs.push({ k, seqs: group.slice(i, i + bs) });
  });
  let done = 0;
  for (const job of jobs) {
    checkCancelled(opts);
    const { k, seqs } = job;
    const T = seqs[0].length;
    const res = await runModel(model, { inputIds: seqs, capture: hooks, logits: 'none' });
    tokens[k] += seqs.length * T;
    hooks.forEach((h, l) => {
      const d = res.activations[h].data;
      for (let r = 0; r < seqs.length * T; r++) {
        const base = r * M;
        for (let n = 0; n < M; n++) {
          const v = d[base + n];
          if (v > 0) {
            const i = (l * M + n) * K + k;
            active[i] += 1;
            sumActive[i] += v;
          }
        }
      }
    });
    opts.onProgress?.(++done, jobs.length);
  }
  const prob = new Float32Array(L * M * K);
  const meanActive = new Float32Array(L * M * K);
  const entropy = new Float32Array(L * M);
  for (let u = 0; u < L * M; u++) {
    let total = 0;
    for (let k = 0; k < K; k++) {
      const i = u * K + k;
      prob[i] = active[i] / tokens[k];
      meanActive[i] = active[i] > 0 ? sumActive[i] / active[i] : 0;
      total += prob[i];
    }
    let h = 0;
    for (let k = 0; k < K; k++) {
      const p = total > 0 ? prob[u * K + k] / total : 0;
      if (p > 0) h -= p * Math.log(p);
    }
    entropy[u] = h;
  }
  return { langs, nLayer: L, dMlp: M, tokens, prob, meanActive, entropy };
}

/** The q-quantile of values, as torch.kthvalue(round(n·q)) does (1-based k, clamped). */
export function kthQuantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values as ArrayLike<number>).sort();
  const k = Math.min(sorted.length, Math.max(1, Math.round(sorted.length * q)));
  return sorted[k - 1];
}

export interface LapeSelectionOptions {
  /** Share of all neurons kept, lowest entropy first (reference code: 0.01). */
  topRate?: number;
  /** A neuron needs a probability above this quantile of all probabilities for some language (0.95). */
  filterRate?: number;
  /** A kept neuron belongs to the languages where its probability is above this quantile (0.95). */
  barRate?: number;
}

export interface LanguageNeuron extends NeuronRef {
  entropy: number;
  /** Activation probability per language (order of `langs`). */
  prob: number[];
  langs: string[];
}

export interface LapeSelection {
  langs: string[];
  neurons: LanguageNeuron[];
  /** The neurons of each language. */
  byLang: Record<string, NeuronRef[]>;
  thresholds: { filter: number; bar: number; entropy: number };
  options: Required<LapeSelectionOptions>;
}

export function selectLanguageNeurons(stats: LapeStats, o: LapeSelectionOptions = {}): LapeSelection {
  const options = { topRate: o.topRate ?? 0.01, filterRate: o.filterRate ?? 0.95, barRate: o.barRate ?? 0.95 };
  const { langs, nLayer: L, dMlp: M, prob } = stats;
  const K = langs.length;
  const filter = kthQuantile(prob, options.filterRate);
  const bar = kthQuantile(prob, options.barRate);
  const candidates: number[] = [];
  for (let u = 0; u < L * M; u++) {
    let any = false;
    for (let k = 0; k < K; k++) if (prob[u * K + k] > filter) any = true;
    if (any) candidates.push(u);
  }
  const count = Math.round(L * M * options.topRate);
  candidates.sort((a, b) => stats.entropy[a] - stats.entropy[b] || a - b);
  const kept = candidates.slice(0, count);
  const byLang: Record<string, NeuronRef[]> = Object.fromEntries(langs.map((l) => [l, []]));
  const neurons: LanguageNeuron[] = [];
  for (const u of kept) {
    const p = Array.from(prob.subarray(u * K, (u + 1) * K));
    const own = langs.filter((_, k) => p[k] > bar);
    const ref = { layer: Math.floor(u / M), index: u % M };
    for (const l of own) byLang[l].push(ref);
    if (own.length > 0) neurons.push({ ...ref, entropy: stats.entropy[u], prob: p, langs: own });
  }
  const entropy = kept.length ? stats.entropy[kept[kept.length - 1]] : NaN;
  return { langs, neurons, byLang, thresholds: { filter, bar, entropy }, options };
}

const key = (n: NeuronRef) => `${n.layer}.${n.index}`;

/** Set `off` neurons to 0 and `on` neurons to their mean active value on `to` (× scale), at every position. */
export function switchEdits(stats: LapeStats, off: NeuronRef[], on: NeuronRef[], to: string, activateScale = 1): Edit[] {
  const k = stats.langs.indexOf(to);
  if (k < 0) fail(`language "${to}" is not one of ${stats.langs.join(', ')}`);
  const onKeys = new Set(on.map(key));
  const edits: Edit[] = [];
  for (const n of off) {
    if (onKeys.has(key(n))) continue;
    edits.push({ hook: `blocks.${n.layer}.mlp.hook_post`, index: n.index, op: 'zero', positions: null });
  }
  for (const n of on) {
    const v = stats.meanActive[(n.layer * stats.dMlp + n.index) * stats.langs.length + k] * activateScale;
    edits.push({ hook: `blocks.${n.layer}.mlp.hook_post`, index: n.index, op: 'clamp', value: v, positions: null });
  }
  return edits;
}

/** The LAPE edits that move generation from language `from` to `to`. */
export function languageSwitchEdits(stats: LapeStats, sel: LapeSelection, from: string, to: string, activateScale = 1): Edit[] {
  if (!(from in sel.byLang) || !(to in sel.byLang)) fail(`languages must be among ${sel.langs.join(', ')}`);
  return switchEdits(stats, sel.byLang[from], sel.byLang[to], to, activateScale);
}

/** `count` distinct random neurons outside `exclude`. */
export function randomNeurons(stats: LapeStats, count: number, rng: Rng, exclude: Set<string> = new Set()): NeuronRef[] {
  const out: NeuronRef[] = [];
  const seen = new Set(exclude);
  const total = stats.nLayer * stats.dMlp;
  if (count > total - seen.size) fail(`cannot pick ${count} random neurons out of ${total - seen.size}`);
  while (out.length < count) {
    const u = rng.int(total);
    const n = { layer: Math.floor(u / stats.dMlp), index: u % stats.dMlp };
    if (seen.has(key(n))) continue;
    seen.add(key(n));
    out.push(n);
  }
  return out;
}

export interface SwitchPrompt {
  ids: number[];
  lang: string;
  /** Target language; default: the other languages in turn (per source language). */
  target?: string;
}

/**
 * Checks each prompt's language and target; prompts without a target get one: each source language's prompts
 * take the other languages in turn.
 */
export function assignTargets(prompts: SwitchPrompt[], langs: string[]): Array<Required<SwitchPrompt>> {
  const perSource = new Map<string, number>();
  return prompts.map((p, i) => {
    if (!langs.includes(p.lang)) fail(`prompt ${i}: language "${p.lang}" is not one of ${langs.join(', ')}`);
    const others = langs.filter((l) => l !== p.lang);
    const nth = perSource.get(p.lang) ?? 0;
    perSource.set(p.lang, nth + 1);
    const target = p.target ?? others[nth % others.length];
    if (target === p.lang || !langs.includes(target)) fail(`prompt ${i}: target language "${target}" must be another of ${langs.join(', ')}`);
    return { ids: p.ids, lang: p.lang, target };
  });
}

export interface SwitchReportRequest {
  stats: LapeStats;
  selection: LapeSelection;
  /** Prompts of equal length. */
  prompts: SwitchPrompt[];
  /** Identifies the language of each continuation (decoded with the model's tokenizer). */
  languageId: LanguageId;
  maxTokens: number;
  /** Multiplies the activated neurons' values (default 1). */
  activateScale?: number;
  /** Seed of the random-neuron baseline. */
  seed?: number;
  batchSize?: number;
}

export type SwitchCondition = 'clean' | 'lape' | 'random';
export const SWITCH_CONDITIONS: SwitchCondition[] = ['clean', 'lape', 'random'];

export interface SwitchRow {
  source: string;
  target: string;
  prompt: string;
  /** Neurons edited: deactivated + activated (the random baseline edits as many). */
  edited: number;
  continuations: Record<SwitchCondition, { text: string; lang: string }>;
}

export interface SwitchSummary {
  n: number;
  /** Continuations identified as the target language. */
  switched: number;
  /** Continuations identified as anything but the source language. */
  leftSource: number;
  switchRate: number;
  leftRate: number;
}

export interface SwitchReport {
  rows: SwitchRow[];
  summary: Record<SwitchCondition, SwitchSummary>;
  neuronsPerLang: Record<string, number>;
  maxTokens: number;
  activateScale: number;
}

/**
 * For each prompt: greedy continuations clean, with the LAPE switch edits, and with as many random neurons edited
 * the same way (random neurons outside every language set: as many deactivated as the source language has, as
 * many set to their mean active value on the target as the target has). Counts how often each continuation is
 * identified as the target language.
 */
export async function languageSwitchReport(model: Model, req: SwitchReportRequest, opts: AnalysisOptions = {}): Promise<SwitchReport> {
  const tok = model.tokenizer;
  if (!tok) fail(`model "${model.name}" has no tokenizer; the switch report identifies languages in decoded text`);
  const { stats, selection: sel } = req;
  const langs = stats.langs;
  if (req.prompts.length === 0) fail('the switch report needs at least one prompt');
  const scale = req.activateScale ?? 1;
  const rng = new Rng(req.seed ?? 1);
  const langNeurons = new Set(sel.neurons.map(key));
  const prompts: number[][] = [];
  const editSets: Edit[][] = [];
  const meta: Array<Omit<SwitchRow, 'continuations'>> = [];
  assignTargets(req.prompts, langs).forEach((p) => {
    const target = p.target;
    const lape = languageSwitchEdits(stats, sel, p.lang, target, scale);
    const nOff = sel.byLang[p.lang].filter((n) => !sel.byLang[target].some((m) => key(m) === key(n))).length;
    const nOn = sel.byLang[target].length;
    const rnd = randomNeurons(stats, nOff + nOn, rng, langNeurons);
    const random = switchEdits(stats, rnd.slice(0, nOff), rnd.slice(nOff), target, scale);
    prompts.push(p.ids, p.ids, p.ids);
    editSets.push([], lape, random);
    meta.push({ source: p.lang, target, prompt: tok.decode(p.ids), edited: nOff + nOn });
  });
  const gen = await generateBatch(model, { prompts, edits: editSets, maxTokens: req.maxTokens, batchSize: req.batchSize ?? 32 }, opts);
  const rows: SwitchRow[] = meta.map((m, i) => {
    const c = {} as SwitchRow['continuations'];
    SWITCH_CONDITIONS.forEach((cond, j) => {
      const text = tok.decode(gen.generated[3 * i + j]);
      c[cond] = { text, lang: identifyLanguage(req.languageId, text).lang };
    });
    return { ...m, continuations: c };
  });
  const summary = {} as SwitchReport['summary'];
  for (const cond of SWITCH_CONDITIONS) {
    const switched = rows.filter((r) => r.continuations[cond].lang === r.target).length;
    const leftSource = rows.filter((r) => r.continuations[cond].lang !== r.source).length;
    summary[cond] = { n: rows.length, switched, leftSource, switchRate: switched / rows.length, leftRate: leftSource / rows.length };
  }
  return {
    rows,
    summary,
    neuronsPerLang: Object.fromEntries(langs.map((l) => [l, sel.byLang[l].length])),
    maxTokens: req.maxTokens,
    activateScale: scale,
  };
}
