import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { linePrompts, spreadWindows } from '../../analysis/generate';
import { languageIdAccuracy, trainLanguageId, type LanguageId } from '../../analysis/language-id';
import { languageSwitchReport, lapeStats, selectLanguageNeurons, type LapeSelection, type LapeStats, type SwitchPrompt } from '../../analysis/lape';
import { fail } from '../../engine/errors';
import type { Model } from '../../engine/model';
import { formatNodeId } from '../../engine/nodeid';
import { allowFlags, flag, numberFlag, type Args } from '../args';
import { openModel, setupBackend } from '../common';

export const LAPE_USAGE =
  'lape --model M [--data DIR] [--langs en,de,es,it] [--windows N] [--prompts N] [--prompt-tokens N] [--max-tokens N] [--top-rate R] [--scale S] [--seed S] [--backend cpu|wasm|webgpu]';

/** `DIR/LANG.SPLIT.txt` for each language (the layout of data/polyglot). */
export function readLangTexts(dir: string, langs: string[], split: 'train' | 'val'): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of langs) {
    const p = join(dir, `${l}.${split}.txt`);
    if (!existsSync(p)) fail(`--data: ${p} is missing (expected DIR/LANG.${split}.txt for each of ${langs.join(', ')})`);
    out[l] = readFileSync(p, 'utf8');
  }
  return out;
}

export function langsFlag(args: Args): string[] {
  const langs = (flag(args, 'langs') ?? 'en,de,es,it').split(',').map((s) => s.trim()).filter(Boolean);
  if (langs.length < 2 || new Set(langs).size !== langs.length) fail('--langs: give at least two distinct languages, e.g. en,de,es,it');
  return langs;
}

export interface LapeSetup {
  stats: LapeStats;
  selection: LapeSelection;
  languageId: LanguageId;
  prompts: SwitchPrompt[];
  idAccuracy: number;
}

/** Everything the LAPE switch report needs, from a data folder: statistics on train windows, prompts from val lines. */
export async function prepareLape(
  model: Model,
  o: { dataDir: string; langs: string[]; windows: number; prompts: number; promptTokens: number; topRate: number; onProgress?: (d: number, t: number) => void },
): Promise<LapeSetup> {
  const tok = model.tokenizer;
  if (!tok) fail(`model "${model.name}" has no tokenizer; LAPE reads text in each language`);
  const train = readLangTexts(o.dataDir, o.langs, 'train');
  const val = readLangTexts(o.dataDir, o.langs, 'val');
  const texts: Record<string, number[][]> = {};
  for (const l of o.langs) {
    // The first 200k characters of each train text are plenty for the statistics.
    texts[l] = spreadWindows(tok.encode(train[l].slice(0, 200_000)), model.config.nCtx, o.windows);
    if (texts[l].length === 0) fail(`the ${l} train text is shorter than one context window`);
  }
  const stats = await lapeStats(model, { texts }, { onProgress: o.onProgress });
  const selection = selectLanguageNeurons(stats, { topRate: o.topRate });
  const languageId = trainLanguageId(train);
  const prompts: SwitchPrompt[] = [];
  for (const l of o.langs) {
    const ps = linePrompts(val[l], (s) => tok.encode(s), o.prompts, o.promptTokens);
    if (ps.length < o.prompts) fail(`only ${ps.length} ${l} validation lines are long enough for ${o.prompts} prompts of ${o.promptTokens} tokens`);
    for (const ids of ps) prompts.push({ ids, lang: l });
  }
  // How well the identifier knows held-out text of the continuation's length.
  const idSamples = o.langs.flatMap((l) => val[l].split('\n').filter((s) => s.length >= 96).slice(-50).map((s) => ({ text: s.slice(32, 96), lang: l })));
  return { stats, selection, languageId, prompts, idAccuracy: languageIdAccuracy(languageId, idSamples).accuracy };
}

export function selectionJson(s: LapeSetup) {
  const { stats, selection } = s;
  const perLayer: Record<string, number[]> = {};
  for (const l of stats.langs) perLayer[l] = Array.from({ length: stats.nLayer }, (_, i) => selection.byLang[l].filter((n) => n.layer === i).length);
  return {
    options: selection.options,
    thresholds: selection.thresholds,
    per_lang: Object.fromEntries(stats.langs.map((l) => [l, selection.byLang[l].length])),
    per_layer: perLayer,
    neurons: selection.neurons.map((n) => ({
      id: formatNodeId({ kind: 'neuron', layer: n.layer, index: n.index, position: null }),
      langs: n.langs,
      entropy: n.entropy,
      prob: Object.fromEntries(stats.langs.map((l, k) => [l, n.prob[k]])),
    })),
  };
}

/** `pathlight lape`: language-specific neurons by LAPE, and how often editing them switches the continuation language. */
export async function lapeCommand(args: Args): Promise<unknown> {
  allowFlags(args, ['model', 'backend', 'data', 'langs', 'windows', 'prompts', 'prompt-tokens', 'max-tokens', 'top-rate', 'scale', 'seed']);
  const backend = await setupBackend(args);
  const model = await openModel(args);
  try {
    const langs = langsFlag(args);
    const dataDir = flag(args, 'data') ?? 'data/polyglot';
    const setup = await prepareLape(model, {
      dataDir,
      langs,
      windows: numberFlag(args, 'windows', 64, { integer: true, min: 1 }),
      prompts: numberFlag(args, 'prompts', 16, { integer: true, min: 1 }),
      promptTokens: numberFlag(args, 'prompt-tokens', 24, { integer: true, min: 1, max: model.config.nCtx }),
      topRate: numberFlag(args, 'top-rate', 0.01, { min: 0, max: 1 }),
    });
    const rep = await languageSwitchReport(model, {
      stats: setup.stats,
      selection: setup.selection,
      prompts: setup.prompts,
      languageId: setup.languageId,
      maxTokens: numberFlag(args, 'max-tokens', 48, { integer: true, min: 1, max: 4096 }),
      activateScale: numberFlag(args, 'scale', 1),
      seed: numberFlag(args, 'seed', 1, { integer: true }),
    });
    return {
      backend,
      model: model.name,
      data: dataDir,
      langs,
      tokens_per_lang: Object.fromEntries(langs.map((l, k) => [l, setup.stats.tokens[k]])),
      language_id_accuracy: setup.idAccuracy,
      selection: selectionJson(setup),
      switch: { max_tokens: rep.maxTokens, activate_scale: rep.activateScale, summary: rep.summary, rows: rep.rows },
    };
  } finally {
    model.dispose();
  }
}
