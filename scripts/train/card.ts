/**
 * Evaluates a bundled model and writes its metrics.json and MODEL.md:
 *   npx tsx scripts/train/card.ts (polyglot|induction) [DIR]   (DIR defaults to public/models/NAME)
 * Run after `npm run train -- NAME` has exported public/models/NAME (train.ts calls it itself at the end).
 * Reads the training figures train.ts left in metrics.json and history.json, adds held-out figures over the
 * whole held-out set, the fixed subset the tests recompute (`test_subset`), baselines and greedy samples.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { initBackend } from '../../src/engine/backend';
import { loadModelDir } from '../../src/engine/node-load';
import type { Model } from '../../src/engine/model';
import { inductionMetric, LANGUAGE_KEPT, languageKept, polyglotMetric, TEST_SUBSET, type LanguageKept } from '../../src/train/bundled-metrics';
import { headPatternScores } from '../../src/analysis/head-patterns';
import { trainLanguageId } from '../../src/analysis/language-id';
import { runModel } from '../../src/engine/run';
import { bigramLoss, greedyContinue, inductionAccuracy, windowLoss } from '../../src/train/evaluate';
import { INDUCTION_CHARS, inductionEvalSet } from '../../src/train/induction-data';
import { Rng } from '../../src/analysis/rng';
import { charEncoder, evalWindows, POLYGLOT_LANGS } from '../../src/train/text-data';
import { lineChartSvg } from '../../src/train/svg';
import type { HistoryPoint, TrainerState } from '../../src/train/trainer';
import { INDUCTION_EVAL_SEQUENCES, RECIPES } from './recipes';

const LANG_NAMES: Record<string, string> = { en: 'English', de: 'German', es: 'Spanish', it: 'Italian' };
const PROMPTS: Record<string, string[]> = {
  en: ['The meaning of life is ', 'A computer '],
  de: ['Das Leben ist ', 'Der Computer '],
  es: ['La vida es ', 'El amor '],
  it: ['La vita e\' ', 'Il computer '],
};

const f3 = (x: number) => x.toFixed(3);
/** Prompts per language of the language-kept evaluation on the model card. */
const KEPT_PROMPTS = 40;
const confusionRow = (k: LanguageKept, l: string) => POLYGLOT_LANGS.map((g) => k.confusion[l][g] ?? 0).join(' / ');
/** A markdown code span that survives backticks, pipes and newlines in model output. */
const code = (t: string) => `\`\` ${t.replace(/\n/g, '⏎').replace(/\|/g, '¦').replace(/`/g, 'ˋ')} \`\``;
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const fmtTime = (s: number) => (s >= 3600 ? `${Math.floor(s / 3600)} h ${Math.round((s % 3600) / 60)} min` : `${Math.floor(s / 60)} min ${Math.round(s % 60)} s`);

interface TrainingFigures {
  steps: number;
  tokens: number;
  wall_time_s: number;
  tokens_per_s: number;
  train_loss_last50: number;
  final?: Record<string, number>;
  settings: Record<string, number>;
  planned_steps?: number;
  /** Set when the run was shortened with --stop-at. */
  stopped_at?: number;
  stopped_early?: boolean;
}

function readTraining(dir: string, name: string): TrainingFigures {
  if (existsSync(join(dir, 'metrics.json'))) {
    const m = JSON.parse(readFileSync(join(dir, 'metrics.json'), 'utf8'));
    return m.training ?? m;
  }
  // A checkpoint folder of an unfinished run: the figures so far, from the resume state.
  const st: TrainerState = JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8'));
  const tail = st.history.slice(-50);
  return {
    steps: st.step,
    tokens: st.tokens,
    wall_time_s: Math.round(st.elapsedMs / 1000),
    tokens_per_s: Math.round(st.tokens / (st.elapsedMs / 1000)),
    train_loss_last50: tail.reduce((a, h) => a + h.train, 0) / tail.length,
    final: [...st.history].reverse().find((h) => h.eval)?.eval,
    settings: RECIPES[name](false).settings as unknown as Record<string, number>,
  };
}

function archLine(model: Model): string {
  const c = model.config;
  return `GPT-2 architecture (Hugging Face \`GPT2LMHeadModel\` layout): ${c.nLayer} layers, ${c.nHead} heads of ${c.dHead}, d_model ${c.dModel}, d_mlp ${c.dMlp}, context ${c.nCtx}, vocabulary ${c.vocabSize}, ${c.activation}, pre-LN, learned positional embeddings, unembedding tied to the token embedding; ${model.paramCount.toLocaleString('en-US')} parameters (float32).`;
}

/** The warm restarts of a schedule, in words ('' when there are none). */
function restartText(s: Record<string, unknown>): string {
  const r = (s.restarts as Array<{ at: number; peak: number }> | undefined) ?? [];
  const minRatio = s.minRatio as number;
  if (!r.length) return '';
  const end = (i: number) => (i + 1 < r.length ? r[i + 1].at : (s.steps as number));
  return ` at step ${r[0].at}` + r.map((c, i) => `; then a warm restart: warm-up over ${s.warmup} steps to ${c.peak} and cosine decay to ${+(c.peak * minRatio).toPrecision(3)} at step ${end(i)}`).join('');
}

function trainingSection(t: TrainingFigures, history: HistoryPoint[]): string {
  const s = t.settings;
  const first = history.slice(0, 10);
  const firstLoss = first.reduce((a, h) => a + h.train, 0) / Math.max(1, first.length);
  return [
    `- Optimiser: AdamW (β₁ 0.9, β₂ 0.95, ε 1e-8, decoupled weight decay ${s.weightDecay} on weight matrices only), peak learning rate ${s.lr}, linear warm-up over ${s.warmup} steps then cosine decay to ${s.lr * s.minRatio}${restartText(s)}, global-norm gradient clipping at ${s.clip}.`,
    `- ${t.steps} steps of batch ${s.batch} (${t.tokens.toLocaleString('en-US')} tokens)${t.stopped_early ? `, stopped early when the held-out criterion was met (the schedule was planned for ${t.planned_steps} steps)` : t.stopped_at !== undefined ? `, stopped at step ${t.stopped_at} of a schedule planned for ${t.planned_steps} steps (\`--stop-at ${t.stopped_at}\`, to fit the time this shared two-core machine had; the learning rate had not finished its cosine decay)` : ''}, seed ${s.seed}; GPT-2 initialisation (N(0, 0.02), residual projections N(0, 0.02/√(2·n_layer)))${s.sinusoidalPositions ? `, except the position embeddings: initialised with sines and cosines of amplitude ${s.sinusoidalPositions} (still learned; with N(0, 0.02) positions the accuracy on the repeats was still near 35% after 1750 steps)` : ''}.`,
    `- Trained with \`npm run train\` on the tfjs WASM backend in Node, one CPU core (shared machine): ${fmtTime(t.wall_time_s)} of training, about ${t.tokens_per_s.toLocaleString('en-US')} tokens/s.`,
    `- Training loss: ${f3(firstLoss)} over the first 10 steps → ${f3(t.train_loss_last50)} over the last 50 steps.`,
    '',
    '![loss curve](loss.svg)',
  ].join('\n');
}

async function polyglotCard(dir: string, model: Model) {
  const chars: string[] = JSON.parse(readFileSync('data/polyglot/chars.json', 'utf8'));
  const enc = charEncoder(chars);
  const V = model.config.vocabSize;
  const T = model.config.nCtx;
  const heldOut: Record<string, number> = {};
  const bigram: Record<string, number> = {};
  const valTexts: Record<string, string> = {};
  const windowsUsed: Record<string, number> = {};
  for (const l of POLYGLOT_LANGS) {
    valTexts[l] = readFileSync(`data/polyglot/${l}.val.txt`, 'utf8');
    const windows = evalWindows(enc(valTexts[l]), T, Infinity);
    windowsUsed[l] = windows.length;
    heldOut[l] = await windowLoss(model.weights, model.config, windows);
    bigram[l] = bigramLoss(enc(readFileSync(`data/polyglot/${l}.train.txt`, 'utf8')), windows, V);
    console.error(`${l}: held-out ${f3(heldOut[l])} nats/char, bigram ${f3(bigram[l])}`);
  }
  const mean = (r: Record<string, number>) => POLYGLOT_LANGS.reduce((s, l) => s + r[l], 0) / POLYGLOT_LANGS.length;
  heldOut.mean = mean(heldOut);
  bigram.mean = mean(bigram);
  const subset = await polyglotMetric(model, valTexts, TEST_SUBSET.polyglotWindows);
  const trainTexts = Object.fromEntries(POLYGLOT_LANGS.map((l) => [l, readFileSync(`data/polyglot/${l}.train.txt`, 'utf8')]));
  const languageId = trainLanguageId(trainTexts, { maxChars: LANGUAGE_KEPT.languageIdChars });
  const keptOpts = { promptLength: LANGUAGE_KEPT.promptLength, maxTokens: LANGUAGE_KEPT.maxTokens };
  const kept = {
    greedy: await languageKept(model, valTexts, languageId, { ...keptOpts, prompts: KEPT_PROMPTS }),
    sampled: await languageKept(model, valTexts, languageId, { ...keptOpts, prompts: KEPT_PROMPTS, sampling: LANGUAGE_KEPT.sampling }),
  };
  const keptSubset = await languageKept(model, valTexts, languageId, { ...keptOpts, prompts: TEST_SUBSET.languageKeptPrompts });
  console.error(`language kept: greedy ${pct(kept.greedy.kept.mean)}, sampled ${pct(kept.sampled.kept.mean)}`);
  const samples: Array<{ lang: string; prompt: string; continuation: string }> = [];
  for (const l of POLYGLOT_LANGS) {
    for (const prompt of PROMPTS[l]) {
      const ids = model.tokenizer!.encode(prompt);
      samples.push({ lang: l, prompt, continuation: model.tokenizer!.decode(await greedyContinue(model.weights, model.config, ids, 100)) });
    }
  }
  return {
    metrics: {
      held_out_nats_per_char: heldOut,
      bigram_baseline_nats_per_char: bigram,
      held_out_windows: windowsUsed,
      language_kept: { prompts_per_language: KEPT_PROMPTS, ...LANGUAGE_KEPT, greedy: kept.greedy, sampled: kept.sampled },
      test_subset: { windows_per_language: TEST_SUBSET.polyglotWindows, held_out_nats_per_char: subset, language_kept_prompts: TEST_SUBSET.languageKeptPrompts, language_kept_greedy: keptSubset.kept },
      samples,
    },
    markdown: (t: TrainingFigures, history: HistoryPoint[]) => `# polyglot — a character-level GPT-2 in four languages

A small GPT-2 trained from scratch on short texts (Debian \`fortunes\` collections) in English, German, Spanish and
Italian, one character per token. Meant for looking at language-specific neurons and heads, and at how a model
tells languages apart from a few characters.

## Data

Debian packages \`fortunes\` (English), \`fortunes-de\`, \`fortunes-es\`, \`fortunes-it\`, split on \`%\` lines,
whitespace normalised, entries of 20–800 characters that are at least 70% letters (no ASCII art, no offensive
collections), duplicates dropped. Every 10th entry per language is held out; training text is capped at about
900,000 characters per language (Spanish has about 730,000), and each batch draws the same number of windows from
each language. Built by \`npx tsx scripts/data/prepare-polyglot.ts\` into \`data/polyglot/\`. Fortunes are
quotations, jokes and aphorisms of mixed quality and age; the Italian collection writes accents as apostrophes
(\`e'\`, \`perche'\`), as in the source.

## Tokenizer

Character level: ${V - 1} characters seen at least 25 times in the training text plus an unknown token (⁇) for
anything else. \`tokenizer.json\` is a Hugging Face tokenizer (a \`Split\` pre-tokenizer isolating each character, a
\`BPE\` model with no merges, a \`Fuse\` decoder); accented letters (ä ö ü ß á é í ó ú ñ ¿ ¡) are single tokens.

## Architecture

${archLine(model)}

## Training

${trainingSection(t, history)}

## Held-out loss (nats per character)

Over the whole held-out split (${POLYGLOT_LANGS.map((l) => `${windowsUsed[l]}`).join(' / ')} windows of ${T + 1} characters
for ${POLYGLOT_LANGS.join(' / ')}), against an add-one smoothed character bigram model estimated on the same
training text and scored on the same windows:

| language | model | bigram baseline |
|---|---|---|
${POLYGLOT_LANGS.map((l) => `| ${LANG_NAMES[l]} | ${f3(heldOut[l])} | ${f3(bigram[l])} |`).join('\n')}
| mean | ${f3(heldOut.mean)} | ${f3(bigram.mean)} |

\`metrics.json\` also stores the figure on the first ${TEST_SUBSET.polyglotWindows} windows per language
(\`test_subset\`), which \`test/train/bundled-models.test.ts\` recomputes from these files.

## Is a prompt continued in its language?

For each language, the first ${KEPT_PROMPTS} held-out fortunes of at least ${LANGUAGE_KEPT.promptLength + 8} characters, cut to
their first ${LANGUAGE_KEPT.promptLength} characters, are continued by ${LANGUAGE_KEPT.maxTokens} characters, greedily and sampled (temperature
${LANGUAGE_KEPT.sampling.temperature}, seeds ${LANGUAGE_KEPT.sampling.seed}, ${LANGUAGE_KEPT.sampling.seed + 1}, …). The continuation alone (without the prompt) is
classified by a character-trigram language identifier trained on the training text
(\`src/analysis/language-id.ts\`). Share of continuations identified as the prompt's language:

| prompt language | greedy | sampled (T = ${LANGUAGE_KEPT.sampling.temperature}) | greedy continuations identified as (en/de/es/it) |
|---|---|---|---|
${POLYGLOT_LANGS.map((l) => `| ${LANG_NAMES[l]} | ${pct(kept.greedy.kept[l])} | ${pct(kept.sampled.kept[l])} | ${confusionRow(kept.greedy, l)} |`).join('\n')}
| mean | ${pct(kept.greedy.kept.mean)} | ${pct(kept.sampled.kept.mean)} | |

## Greedy samples

Argmax continuation, 100 characters:

| language | prompt | continuation |
|---|---|---|
${samples.map((s) => `| ${LANG_NAMES[s.lang]} | ${code(s.prompt)} | ${code(s.continuation)} |`).join('\n')}

(⏎ marks a newline, which separates fortunes in the training text.)

## Known limits

- Small and briefly trained (${f3(bigram.mean - heldOut.mean)} nats/char better than a character bigram on average): it
  has picked up frequent words and letter patterns of each language, but it does not write coherent text; greedy
  samples fall into loops on short words, and ${pct(1 - kept.greedy.kept.mean)} of greedy continuations of held-out
  prompts (${pct(1 - kept.sampled.kept.mean)} of sampled ones) drift into another language (see above).
- Context is ${T} characters. Characters outside the vocabulary (most symbols, Cyrillic, emoji, Italian
  accented vowels) become ⁇.
- Fortune collections carry the jokes and stereotypes of their era; samples can echo them.
`,
  };
}

async function inductionCard(dir: string, model: Model) {
  const T = model.config.nCtx;
  const all = inductionEvalSet(INDUCTION_EVAL_SEQUENCES, T + 1, INDUCTION_CHARS.length, TEST_SUBSET.inductionSeed);
  const acc = await inductionAccuracy(model.weights, model.config, all);
  const loss = await windowLoss(model.weights, model.config, all.map((s) => s.ids));
  const subset = await inductionMetric(model, TEST_SUBSET.inductionSequences);
  console.error(`accuracy repeated ${pct(acc.repeated)}, first occurrence ${pct(acc.first)}, loss ${f3(loss)}`);
  const samples: Array<{ prompt: string; continuation: string; expected: string }> = [];
  for (const s of all.slice(0, 4)) {
    const cut = s.repeated[0] + 3; // the first three tokens of the repeat are in the prompt
    const n = s.repeated[s.repeated.length - 1] + 2 - cut;
    const cont = await greedyContinue(model.weights, model.config, s.ids.slice(0, cut), n);
    const dec = (ids: number[]) => ids.map((i) => INDUCTION_CHARS[i]).join('');
    samples.push({ prompt: dec(s.ids.slice(0, cut)), continuation: dec(cont), expected: dec(s.ids.slice(cut, cut + n)) });
  }
  const chance = 1 / INDUCTION_CHARS.length;
  // Span lengths as the generator draws them (measured on many sequences rather than restated here).
  const probe = inductionEvalSet(4000, T + 1, INDUCTION_CHARS.length, 1);
  const lens = probe.map((s) => new Set(s.first).size + 1);
  const spanMin = Math.min(...lens);
  const spanMax = Math.max(...lens);
  const startMax = Math.max(...probe.map((s) => Math.min(...s.first)));
  const predictable = probe.reduce((a, s) => a + s.repeated.length, 0) / (probe.length * T);
  const heads = await headTable(model, all.slice(0, 64));
  return {
    metrics: {
      eval_sequences: INDUCTION_EVAL_SEQUENCES,
      accuracy_repeated: acc.repeated,
      accuracy_first_occurrence: acc.first,
      chance: chance,
      held_out_loss: loss,
      test_subset: { sequences: TEST_SUBSET.inductionSequences, accuracy_repeated: subset.repeated, accuracy_first_occurrence: subset.first },
      head_scores: heads.scores,
      samples,
    },
    markdown: (t: TrainingFigures, history: HistoryPoint[]) => `# induction — a two-layer GPT-2 that copies repeated spans

A two-layer GPT-2 trained on sequences of random tokens in which a span repeats. The only way to predict
anything is to notice that the current token appeared before and copy what followed it: the previous-token head +
induction head circuit. Meant for finding those heads with the workbench (attention patterns, head ablations,
path patching).

## Data

Generated on the fly (\`src/train/induction-data.ts\`, seeded): ${T + 1} tokens drawn uniformly from ${INDUCTION_CHARS.length}
symbols, in which a span of ${spanMin}–${spanMax} tokens, first seen at a position from 0 to ${startMax}, is repeated later (the exact layout is
\`inductionSequence\`'s doc comment: currently the span repeats again and again, 0–3 random tokens apart, until the
sequence ends). Inside each repeat the next token is predictable by copying (${pct(predictable)} of next-token targets on
average); everything else is uniform noise (best possible loss there: ln ${INDUCTION_CHARS.length} ≈ ${Math.log(INDUCTION_CHARS.length).toFixed(3)}).
Evaluation uses a fixed set of ${INDUCTION_EVAL_SEQUENCES} sequences (seed ${TEST_SUBSET.inductionSeed}) never used in training
(training sequences come from the trainer's own seeded stream).

## Tokenizer

One character per token over \`a–z A–Z 0–9 + /\` (ids 0–63 in that order), so prompts can be typed: e.g.
\`Xq3fK9a...Xq3\` should continue \`fK9a\`. Hugging Face \`tokenizer.json\` (\`Split\` per character + \`BPE\` without
merges). The tokenizer maps any other character (spaces included) to an unknown token, id 64, which is outside the
model's 64-token vocabulary: the workbench refuses such prompts with an error rather than guessing.

## Architecture

${archLine(model)} The MLPs are kept (it is GPT-2), though the task needs only attention.

## Training

${trainingSection(t, history)}

## Results

On the ${INDUCTION_EVAL_SEQUENCES} evaluation sequences, next-token accuracy (argmax):

| positions | accuracy |
|---|---|
| repeated span (predictable by induction) | ${pct(acc.repeated)} |
| first occurrence (not predictable) | ${pct(acc.first)} |
| chance | ${pct(chance)} |

Mean loss over all positions: ${f3(loss)} nats/token. \`metrics.json\` also stores the figures on the first
${TEST_SUBSET.inductionSequences} sequences (\`test_subset\`), which \`test/train/bundled-models.test.ts\` recomputes.

## Heads

Attention-pattern scores on the first 64 evaluation sequences (\`src/analysis/head-patterns.ts\`; see
docs/terminology.md): the mean attention on the previous token, on the token itself, and — at repeated positions —
on the tokens that followed earlier occurrences of the current token. For reference, a head attending uniformly over
its causal window scores about ${f3(heads.uniformPrev)} on the previous token at ${T} tokens.

| head | previous token | (positions < ${T / 2}) | (positions ≥ ${T / 2}) | self | induction |
|---|---|---|---|---|---|
${heads.rows.join('\n')}

${heads.verdict}
\`test/analysis/induction.test.ts\` finds these heads from the patterns and checks that head attribution (integrated
gradients and exact ablation) ranks the same heads first in each layer.

## Greedy samples

The prompt ends three tokens into the second copy; the model continues greedily:

${samples.map((s) => `- \`${s.prompt}\` → \`${s.continuation}\` (expected \`${s.expected}\`)`).join('\n')}

## Known limits

- Trained on uniform random tokens only: on natural text, or with tokens repeated by chance, it copies
  whatever followed the previous occurrence.
- ${heads.limit}
- Context ${T}; spans shorter than ${spanMin} or longer than ${spanMax} tokens were never seen in training.
`,
  };
}

/** Head scores of every head, a markdown row per head and a sentence naming the circuit's heads. */
async function headTable(model: Model, seqs: Array<{ ids: number[]; repeated: number[] }>) {
  const T = model.config.nCtx;
  const cut = (s: { ids: number[]; repeated: number[] }) => ({ ids: s.ids.slice(0, T), repeated: s.repeated.filter((t) => t + 1 < T) });
  const scores = await headPatternScores(model, seqs.map(cut));
  // One more pass over the patterns, for what depends on position: the previous-token score over the first and the
  // second half of the positions, and — at queries in the second half — the layer-1 heads' attention on keys that
  // follow an earlier occurrence of the query token, split by whether the key lies in the first or the second half.
  const { nLayer: L, nHead: H } = model.config;
  const early = scores.prevToken.map((r) => r.map(() => 0));
  const late = scores.prevToken.map((r) => r.map(() => 0));
  const keyHalf = [0, 0];
  let lateQueries = 0;
  const hooks = Array.from({ length: L }, (_, l) => `blocks.${l}.attn.hook_pattern`);
  for (const s of seqs) {
    const ids = s.ids.slice(0, T);
    const r = await runModel(model, { inputIds: [ids], capture: hooks, logits: 'none' });
    hooks.forEach((hook, l) => {
      const pat = r.activations[hook].data;
      for (let h = 0; h < H; h++) {
        for (let t = 1; t < T; t++) {
          const x = pat[(h * T + t) * T + t - 1] / seqs.length;
          if (t < T / 2) early[l][h] += x / (T / 2 - 1);
          else late[l][h] += x / (T / 2);
        }
      }
    });
    const pat1 = r.activations[hooks[1]].data;
    for (const t of s.repeated.filter((t) => t >= T / 2 && t < T)) {
      for (let h = 0; h < H; h++) {
        for (let j = 1; j <= t; j++) if (ids[j - 1] === ids[t]) keyHalf[j < T / 2 ? 0 : 1] += pat1[(h * T + t) * T + j] / H;
      }
      lateQueries++;
    }
  }
  const rows: string[] = [];
  scores.prevToken.forEach((row, l) =>
    row.forEach((_, h) => rows.push(`| L${l}.H${h} | ${f3(scores.prevToken[l][h])} | ${f3(early[l][h])} | ${f3(late[l][h])} | ${f3(scores.self[l][h])} | ${f3(scores.induction[l][h])} |`)),
  );
  const best = (a: number[]) => a.indexOf(Math.max(...a));
  const prev = scores.prevToken[0];
  const p = best(prev);
  const others = prev.filter((_, h) => h !== p);
  const inductionHeads = scores.induction[1].map((x, h) => [x, h] as const).filter(([x]) => x > 0.3).map(([, h]) => `L1.H${h}`);
  const prevOk = prev[p] > 0.3 && others.every((x) => prev[p] - x > 0.2);
  const verdict = [
    prevOk ? `Layer 0: L0.H${p} is the previous-token head (${f3(prev[p])}, against ${others.map(f3).join(', ')} for the other heads).` : `Layer 0: no head is a clear previous-token head (best L0.H${p}, ${f3(prev[p])}).`,
    inductionHeads.length ? `Layer 1: ${inductionHeads.join(' and ')} ${inductionHeads.length > 1 ? 'are induction heads' : 'is the induction head'} (score above 0.3).` : 'Layer 1: no head scores above 0.3 as an induction head.',
  ].join(' ');
  const share = (x: number) => f3(x / Math.max(1, lateQueries));
  // Accuracy on a span of 8 seen once and repeated 2 tokens later, by where it is first seen (64 sequences each).
  const rng = new Rng(99);
  const V = INDUCTION_CHARS.length;
  const lateSpans: Array<{ start: number; acc: number }> = [];
  for (const start of [4, 20, 34]) {
    const set = Array.from({ length: 64 }, () => {
      const ids = Array.from({ length: T }, () => rng.int(V));
      const span = Array.from({ length: 8 }, () => rng.int(V));
      span.forEach((v, i) => {
        ids[start + i] = v;
        ids[start + 10 + i] = v;
      });
      // A (T+1)-th token only gives the sequence the evaluator's layout; no scored position predicts it.
      const at = (o: number) => Array.from({ length: 7 }, (_, i) => o + i);
      return { ids: [...ids, 0], repeated: at(start + 10), first: at(start) };
    });
    lateSpans.push({ start, acc: (await inductionAccuracy(model.weights, model.config, set)).repeated });
  }
  const copying = `a span of 8 tokens seen once and repeated 2 tokens later is continued with ${lateSpans.map((l) => `${pct(l.acc)} accuracy when first seen at position ${l.start}`).join(', ')} (chance ${pct(1 / V)})`;
  const limit = !prevOk
    ? `No layer-0 head is a clear previous-token head (see Heads); ${copying}.`
    : late[0][p] > 0.3
      ? `The previous-token head L0.H${p} works across the context (${f3(early[0][p])} on the previous token at positions < ${T / 2}, ${f3(late[0][p])} beyond); ${copying}.`
      : `The previous-token head L0.H${p} acts only in the first half of the context: on the previous token it puts ${f3(early[0][p])} of its attention at positions < ${T / 2} but ${f3(late[0][p])} at positions ≥ ${T / 2}. That is where the circuit needs it in its training data, and at queries ≥ ${T / 2} the layer-1 heads put ${share(keyHalf[0])} of their attention (mean over heads) on matching keys before position ${T / 2} and ${share(keyHalf[1])} on matching keys after it. So the model copies only spans first seen early: ${copying}.`;
  let uniformPrev = 0;
  for (let t = 1; t < T; t++) uniformPrev += 1 / (t + 1) / (T - 1);
  return { scores, rows, verdict, uniformPrev, limit };
}

/** Training loss (smoothed over 25 steps) and every held-out loss series in the history. */
function lossChart(name: string, history: HistoryPoint[]): string {
  const k = 25;
  const train = history.map((h, i): [number, number] => {
    const w = history.slice(Math.max(0, i - k + 1), i + 1);
    return [h.step, w.reduce((a, p) => a + p.train, 0) / w.length];
  });
  const evals = history.filter((h) => h.eval);
  const keys = name === 'polyglot' ? POLYGLOT_LANGS.map((l) => `val_${l}`) : ['val'];
  const colors = ['#d62728', '#2ca02c', '#ff7f0e', '#9467bd'];
  const label = (key: string) => (key === 'val' ? 'held-out' : `held-out ${LANG_NAMES[key.slice(4)] ?? key}`);
  return lineChartSvg(
    [
      { name: `train (mean of ${k} steps)`, color: '#1f77b4', points: train },
      ...keys.map((key, i) => ({ name: label(key), color: colors[i % colors.length], points: evals.filter((h) => h.eval![key] !== undefined).map((h): [number, number] => [h.step, h.eval![key]]) })),
    ],
    { title: `${name}: training and held-out loss`, xLabel: 'step', yLabel: `cross-entropy (nats/${name === 'polyglot' ? 'char' : 'token'})` },
  );
}

export async function writeCard(name: string, dir = join('public', 'models', name)): Promise<void> {
  const model = await loadModelDir(dir);
  try {
    const training = readTraining(dir, name);
    const history: HistoryPoint[] = existsSync(join(dir, 'history.json'))
      ? JSON.parse(readFileSync(join(dir, 'history.json'), 'utf8'))
      : existsSync(join(dir, 'trainer.json'))
        ? (JSON.parse(readFileSync(join(dir, 'trainer.json'), 'utf8')) as TrainerState).history
        : [];
    const card = name === 'polyglot' ? await polyglotCard(dir, model) : name === 'induction' ? await inductionCard(dir, model) : null;
    if (!card) throw new Error(`no model card recipe for ${name}`);
    if (history.length) writeFileSync(join(dir, 'loss.svg'), lossChart(name, history));
    const weightsBytes = statSync(join(dir, 'model.safetensors')).size;
    const metrics = { model: name, parameters: model.paramCount, weights_bytes: weightsBytes, ...card.metrics, training };
    writeFileSync(join(dir, 'metrics.json'), JSON.stringify(metrics, null, 2) + '\n');
    writeFileSync(join(dir, 'MODEL.md'), card.markdown(training, history));
    console.error(`wrote ${dir}/metrics.json and MODEL.md`);
  } finally {
    model.dispose();
  }
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('card.ts')) {
  const name = process.argv[2];
  if (!name) {
    console.error('usage: npx tsx scripts/train/card.ts (polyglot|induction) [DIR]');
    process.exit(2);
  }
  tf.env().set('PROD', true);
  await initBackend('wasm');
  await writeCard(name, process.argv[3]);
}
