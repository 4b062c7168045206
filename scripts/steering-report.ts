/**
 * `npx tsx scripts/steering-report.ts [--model polyglot] [--quick] [--backend wasm|cpu]`
 *
 * The figures of docs/steering.md: language neurons (LAPE) and the language switch against random neurons,
 * activation-addition steering between language centroids, and the single neuron that most reduces repetition
 * loops. Writes the section between the report markers of docs/steering.md, the full results to
 * runs/steering/report.json, and the language steering vectors to runs/steering/language-vectors.safetensors.
 * Not a test: figures are reported, never asserted. --quick runs a small version (for trying the script).
 */
import * as tf from '@tensorflow/tfjs';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { linePrompts } from '../src/analysis/generate';
import { languageSwitchReport, selectLanguageNeurons, type SwitchReport } from '../src/analysis/lape';
import { repeatedNgramRate } from '../src/analysis/loops';
import { languageCentroids, steeringSwitchReport, type SteeringSwitchReport } from '../src/analysis/steering';
import { encodeVectorFile, type NamedVector } from '../src/analysis/vectors';
import { initBackend, type BackendName } from '../src/engine/backend';
import { loadModelDir } from '../src/engine/node-load';
import { formatNodeId } from '../src/engine/nodeid';
import { prepareLape, readLangTexts } from '../src/cli/commands/lape';
import { runLoopSweep, type LoopRun } from '../src/cli/commands/loops';

const argv = process.argv.slice(2);
const arg = (name: string, fallback: string) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : fallback;
};
const quick = argv.includes('--quick');
const modelRef = arg('model', 'polyglot');
const backend = arg('backend', 'wasm') as BackendName;
const DOC = 'docs/steering.md';
const OUT = 'runs/steering';
const LANGS = ['en', 'de', 'es', 'it'];
const DATA = 'data/polyglot';

// Settings (quick: a few prompts and tokens, to try the script in a minute).
const S = quick
  ? { windows: 8, prompts: 3, promptTokens: 24, maxTokens: 24, topRates: [0.01], scales: [1], steerLayers: [2], alphas: [0, 1], layerAlpha: 1, loopPerLang: 6, loopTokens: 32, loopCandidates: 2, loopRandom: 2, heldOut: 2, loopPrompts: 8 }
  : { windows: 64, prompts: 16, promptTokens: 24, maxTokens: 48, topRates: [0.01, 0.05], scales: [1, 3], steerLayers: [0, 1, 2, 3], alphas: [0, 0.5, 1, 2, 4], layerAlpha: 2, loopPerLang: 32, loopTokens: 64, loopCandidates: 16, loopRandom: 16, heldOut: 8, loopPrompts: 16 };

tf.env().set('PROD', true);
await initBackend(backend);
const t0 = performance.now();
const log = (s: string) => process.stderr.write(`[${((performance.now() - t0) / 1000).toFixed(0)}s] ${s}\n`);
const bar = (label: string) => (d: number, t: number) => process.stderr.write(`\r  ${label} ${((100 * d) / t).toFixed(0)}%   ${d >= t ? '\n' : ''}`);
const pct = (x: number) => `${(100 * x).toFixed(0)}%`;
const f3 = (x: number) => x.toFixed(3);

const model = await loadModelDir(modelRef);
const tok = model.tokenizer!;
log(`model ${model.name}: ${model.config.nLayer} layers, d_model ${model.config.dModel}, d_mlp ${model.config.dMlp}, n_ctx ${model.config.nCtx}`);
const metricsPath = join('public', 'models', modelRef, 'metrics.json');
let metrics: { training?: { steps?: number }; held_out_nats_per_char?: { mean?: number } } = {};
try {
  metrics = JSON.parse(readFileSync(metricsPath, 'utf8'));
} catch {
  // a model folder without metrics
}

// ---- LAPE ------------------------------------------------------------------------------------------------
log('LAPE statistics');
const setup = await prepareLape(model, { dataDir: DATA, langs: LANGS, windows: S.windows, prompts: S.prompts, promptTokens: S.promptTokens, topRate: S.topRates[0], onProgress: bar('activations') });
const switchRuns: Array<{ topRate: number; scale: number; report: SwitchReport; perLang: Record<string, number> }> = [];
for (const topRate of S.topRates) {
  const selection = selectLanguageNeurons(setup.stats, { topRate });
  for (const scale of S.scales) {
    log(`language switch: top rate ${topRate}, activation scale ${scale}`);
    const report = await languageSwitchReport(
      model,
      { stats: setup.stats, selection, prompts: setup.prompts, languageId: setup.languageId, maxTokens: S.maxTokens, activateScale: scale, seed: 1 },
      { onProgress: bar('generation') },
    );
    switchRuns.push({ topRate, scale, report, perLang: report.neuronsPerLang });
  }
}

// ---- Steering between language centroids -----------------------------------------------------------------
const val = readLangTexts(DATA, LANGS, 'val');
const train = readLangTexts(DATA, LANGS, 'train');
// Centroids from train lines (64-token line starts), prompts from val: no overlap.
const centroidTexts = Object.fromEntries(LANGS.map((l) => [l, linePrompts(train[l], (s) => tok.encode(s), quick ? 8 : 64, 64)]));
const steerRuns: Array<{ layer: number; report: SteeringSwitchReport }> = [];
const vectors: NamedVector[] = [];
for (const layer of S.steerLayers) {
  const hook = `blocks.${layer}.hook_resid_pre`;
  const centroids = await languageCentroids(model, hook, centroidTexts);
  for (const a of LANGS) for (const b of LANGS) if (a !== b) vectors.push({ name: `L${layer}.${a}_to_${b}`, vector: Array.from(centroids[b], (x, i) => x - centroids[a][i]), meta: { hook, method: 'centroid difference (train lines)', model: model.name } });
  // α = 0 (the clean run) once, at layer 2; the other layers at one α.
  const alphas = layer === 2 ? S.alphas : [S.layerAlpha];
  log(`steering at ${hook}, α ∈ {${alphas.join(', ')}}`);
  const report = await steeringSwitchReport(
    model,
    { prompts: setup.prompts, centroids, layer, alphas, languageId: setup.languageId, maxTokens: S.maxTokens, randomDirections: true, seed: 1 },
    { onProgress: bar('generation') },
  );
  steerRuns.push({ layer, report });
}
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, 'language-vectors.safetensors'), encodeVectorFile(vectors));

// ---- Repetition loops ------------------------------------------------------------------------------------
log('repetition loops');
let loops: LoopRun | null = null;
let loopError: string | null = null;
try {
  loops = await runLoopSweep(model, {
    dataDir: DATA,
    langs: LANGS,
    perLang: S.loopPerLang,
    promptTokens: S.promptTokens,
    maxTokens: S.loopTokens,
    threshold: 0.5,
    candidates: S.loopCandidates,
    random: S.loopRandom,
    ops: ['zero', 'flip'],
    heldOut: S.heldOut,
    seed: 1,
    maxPrompts: S.loopPrompts,
    onProgress: bar('sweep'),
  });
} catch (e) {
  loopError = (e as Error).message;
  log(`loop sweep: ${loopError}`);
}
const seconds = (performance.now() - t0) / 1000;
log(`done in ${seconds.toFixed(0)} s`);

// ---- Output ----------------------------------------------------------------------------------------------
writeFileSync(
  join(OUT, 'report.json'),
  JSON.stringify({ model: model.name, settings: S, quick, languageIdAccuracy: setup.idAccuracy, switchRuns, steerRuns: steerRuns.map((r) => ({ layer: r.layer, ...r.report })), loops, loopError }, null, 1),
);

const md: string[] = [];
const nid = (n: { layer: number; index: number }) => formatNodeId({ kind: 'neuron', layer: n.layer, index: n.index, position: null });
md.push(
  `Model \`${model.name}\` (${model.config.nLayer} layers, d_model ${model.config.dModel}, ${model.config.nLayer * model.config.dMlp} MLP neurons${metrics.held_out_nats_per_char?.mean ? `, held-out loss ${metrics.held_out_nats_per_char.mean.toFixed(3)} nats/char after ${metrics.training?.steps} training steps` : ''}), ` +
    `backend ${backend}, ${quick ? '**quick settings** — ' : ''}${seconds.toFixed(0)} s in all. Language identifier accuracy on 64-character held-out snippets: ${pct(setup.idAccuracy)}.`,
  '',
  `### Language neurons`,
  '',
  `LAPE statistics over ${S.windows} windows of ${model.config.nCtx} characters per language (train split). Neurons per language (per layer 0–${model.config.nLayer - 1}):`,
  '',
  '| top rate | ' + LANGS.join(' | ') + ' |',
  '| --- | ' + LANGS.map(() => '---').join(' | ') + ' |',
);
for (const topRate of S.topRates) {
  const sel = selectLanguageNeurons(setup.stats, { topRate });
  md.push(`| ${topRate} | ` + LANGS.map((l) => `${sel.byLang[l].length} (${Array.from({ length: model.config.nLayer }, (_, i) => sel.byLang[l].filter((n) => n.layer === i).length).join('/')})`).join(' | ') + ' |');
}
const sel0 = selectLanguageNeurons(setup.stats, { topRate: S.topRates[0] });
md.push('', `Lowest-entropy language neurons (top rate ${S.topRates[0]}), activation probability per language:`, '', '| neuron | languages | entropy | ' + LANGS.map((l) => `P(active | ${l})`).join(' | ') + ' |', '| --- | --- | --- | ' + LANGS.map(() => '---').join(' | ') + ' |');
for (const n of sel0.neurons.slice(0, 10)) md.push(`| ${nid(n)} | ${n.langs.join(', ')} | ${f3(n.entropy)} | ${n.prob.map(f3).join(' | ')} |`);

md.push(
  '',
  `### Language switch: LAPE neurons vs as many random neurons`,
  '',
  `${setup.prompts.length} prompts (${S.prompts} per language, the first ${S.promptTokens} characters of held-out fortunes), each with a target language (the other three in turn); greedy continuation of ${S.maxTokens} characters; the continuation (without the prompt) is identified by the n-gram classifier. "Switched": identified as the target; "left source": identified as anything but the prompt's language.`,
  '',
  '| top rate | activation scale | neurons edited (mean) | clean: switched | LAPE: switched | random: switched | clean: left source | LAPE: left source | random: left source |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
);
for (const r of switchRuns) {
  const s = r.report.summary;
  const edited = r.report.rows.reduce((a, x) => a + x.edited, 0) / r.report.rows.length;
  md.push(`| ${r.topRate} | ${r.scale} | ${edited.toFixed(1)} | ${s.clean.switched}/${s.clean.n} (${pct(s.clean.switchRate)}) | **${s.lape.switched}/${s.lape.n} (${pct(s.lape.switchRate)})** | ${s.random.switched}/${s.random.n} (${pct(s.random.switchRate)}) | ${pct(s.clean.leftRate)} | ${pct(s.lape.leftRate)} | ${pct(s.random.leftRate)} |`);
}
/** Exact two-sided McNemar (sign) test on paired outcomes: b = only A succeeded, c = only B succeeded. */
function mcnemar(b: number, c: number): number {
  const n = b + c;
  if (n === 0) return 1;
  let tail = 0;
  let coef = 1; // C(n, 0)
  for (let k = 0; k <= Math.min(b, c); k++) {
    tail += coef / 2 ** n;
    coef = (coef * (n - k)) / (k + 1);
  }
  return Math.min(1, 2 * tail);
}
md.push('', 'Paired comparison per prompt (LAPE vs random edit: prompts switched by only one of them; exact McNemar test):', '');
for (const r of switchRuns) {
  const b = r.report.rows.filter((x) => x.continuations.lape.lang === x.target && x.continuations.random.lang !== x.target).length;
  const c = r.report.rows.filter((x) => x.continuations.lape.lang !== x.target && x.continuations.random.lang === x.target).length;
  md.push(`- top rate ${r.topRate}, scale ${r.scale}: only LAPE ${b}, only random ${c}, p = ${mcnemar(b, c).toPrecision(2)}`);
}
const bestSwitch = switchRuns.reduce((b, r) => (r.report.summary.lape.switchRate > b.report.summary.lape.switchRate ? r : b));
md.push('', `By target language (top rate ${bestSwitch.topRate}, scale ${bestSwitch.scale}; LAPE-edited continuations identified as the target / prompts):`, '', '| target | ' + LANGS.map((l) => `from ${l}`).join(' | ') + ' |', '| --- | ' + LANGS.map(() => '---').join(' | ') + ' |');
for (const t of LANGS) {
  md.push(`| ${t} | ` + LANGS.map((src) => {
    if (src === t) return '–';
    const rows = bestSwitch.report.rows.filter((x) => x.source === src && x.target === t);
    return `${rows.filter((x) => x.continuations.lape.lang === t).length}/${rows.length}`;
  }).join(' | ') + ' |');
}
md.push('', `Examples (top rate ${bestSwitch.topRate}, scale ${bestSwitch.scale}):`, '', '| source → target | prompt | clean | LAPE-edited | random-edited |', '| --- | --- | --- | --- | --- |');
const esc = (s: string) => s.replace(/\|/g, '\\|').replace(/\n/g, '⏎');
for (const row of bestSwitch.report.rows.filter((_, i) => i % Math.max(1, Math.floor(bestSwitch.report.rows.length / 6)) === 0).slice(0, 6)) {
  const c = row.continuations;
  md.push(`| ${row.source} → ${row.target} | ${esc(row.prompt)} | ${esc(c.clean.text)} (${c.clean.lang}) | ${esc(c.lape.text)} (${c.lape.lang}) | ${esc(c.random.text)} (${c.random.lang}) |`);
}

md.push(
  '',
  `### Steering with language directions (activation addition)`,
  '',
  `v(A→B) = mean residual activation over ${quick ? 8 : 64} train lines of B − the same for A, added as α·v at \`blocks.L.hook_resid_pre\` on every position and step; same prompts and targets as above. α = 1 moves the mean activation of A onto that of B. Baseline: for each prompt a random direction (Gaussian) scaled to the norm of its v(A→B), at the same α.`,
  '',
  '| layer | ‖v‖ (mean) | ‖centroid‖ (mean) | α | v(A→B): switched | v(A→B): left source | random direction: switched | random direction: left source |',
  '| --- | --- | --- | --- | --- | --- | --- | --- |',
);
for (const r of steerRuns) {
  for (const row of r.report.rows.filter((x) => x.direction === 'centroid')) {
    const rnd = r.report.rows.find((x) => x.direction === 'random' && x.alpha === row.alpha);
    md.push(`| ${r.layer} | ${r.report.meanVectorNorm.toFixed(2)} | ${r.report.meanCentroidNorm.toFixed(2)} | ${row.alpha} | **${pct(row.switchRate)}** | ${pct(row.leftRate)} | ${rnd ? pct(rnd.switchRate) : '–'} | ${rnd ? pct(rnd.leftRate) : '–'} |`);
  }
}
const l2 = steerRuns.find((r) => r.layer === 2) ?? steerRuns[0];
const big = l2.report.rows.filter((x) => x.direction === 'centroid').at(-1)!;
md.push('', `Examples at layer ${l2.layer}, α = ${big.alpha}:`, '', '| source → target | continuation (identified as) |', '| --- | --- |');
for (const e of big.examples) md.push(`| ${e.source} → ${e.target} | ${esc(e.text)} (${e.lang}) |`);

md.push('', `### Repetition loops`, '');
if (loops) {
  const r = loops.report;
  const trial = (t: { neuron: { layer: number; index: number }; op: string; rate: number }) => `${nid(t.neuron)} ${t.op === 'flip' ? 'sign flip' : 'zeroed'}`;
  // Reference: the repeated 4-gram rate of real text, the held-out continuations of the same kind of prompts.
  const natural = LANGS.flatMap((l) => linePrompts(val[l], (s) => tok.encode(s), S.loopPerLang, S.promptTokens + S.loopTokens, 0).map((ids) => repeatedNgramRate(ids.slice(S.promptTokens))));
  const naturalRate = natural.reduce((x, y) => x + y, 0) / Math.max(1, natural.length);
  md.push(
    `${loops.candidates} candidate prompts (${S.loopPerLang} per language, ${S.promptTokens} characters); ${loops.looping} loop under greedy decoding (repeated 4-gram rate ≥ 0.5 over ${S.loopTokens} generated characters), split alternately into sweep and test prompts (at most ${S.loopPrompts} each): ${loops.sweepPrompts} sweep, ${loops.testPrompts} test. ` +
      `Screening ranked all ${model.config.nLayer * model.config.dMlp} neurons; the top ${S.loopCandidates} were each zeroed and sign-flipped in real generation, and ${S.loopRandom} random neurons likewise as a baseline.`,
    '',
    '| | repeated 4-gram rate (sweep prompts) |',
    '| --- | --- |',
    `| held-out text itself (the true continuations of ${natural.length} such prompts) | ${f3(naturalRate)} |`,
    `| clean | ${f3(r.cleanRate)} |`,
    `| best screened edit: ${trial(r.best)} | **${f3(r.best.rate)}** |`,
    ...(r.bestRandom ? [`| best of ${r.random.length} random edits: ${trial(r.bestRandom)} | ${f3(r.bestRandom.rate)} |`, `| mean of random edits | ${f3(r.random.reduce((a, t) => a + t.rate, 0) / r.random.length)} |`] : []),
    `| mean of screened edits | ${f3(r.trials.reduce((a, t) => a + t.rate, 0) / r.trials.length)} |`,
    '',
  );
  if (r.test) md.push(`On the ${r.test.prompts} held-out looping prompts, ${trial(r.best)}: repeated 4-gram rate ${f3(r.test.cleanRate)} → ${f3(r.test.editedRate)}; prompts still looping (rate ≥ 0.5) ${r.test.cleanLooping} → ${r.test.editedLooping}.`, '');
  if (r.loss) md.push(`Held-out loss (${r.loss.windows} windows of ${model.config.nCtx + 1} characters from the val split, all languages): ${r.loss.clean.toFixed(4)} → ${r.loss.edited.toFixed(4)} nats/char (${r.loss.delta >= 0 ? '+' : ''}${r.loss.delta.toFixed(5)}).`, '');
  md.push('Screened candidates (score = Σ activation × gradient of log p(loop token); higher = zeroing lowers the loop most, to first order):', '', '| neuron | score | rate zeroed | rate sign-flipped |', '| --- | --- | --- | --- |');
  const byNeuron = new Map<string, { score: number; zero?: number; flip?: number }>();
  for (const t of r.trials) {
    const k = nid(t.neuron);
    const e = byNeuron.get(k) ?? { score: t.score ?? 0 };
    e[t.op] = t.rate;
    byNeuron.set(k, e);
  }
  for (const [k, e] of byNeuron) md.push(`| ${k} | ${e.score.toFixed(3)} | ${e.zero !== undefined ? f3(e.zero) : '–'} | ${e.flip !== undefined ? f3(e.flip) : '–'} |`);
  md.push('', 'Examples (sweep prompts, clean vs best edit):', '', '| prompt | clean | edited |', '| --- | --- | --- |');
  for (const e of r.examples.slice(0, 4)) md.push(`| ${esc(tok.decode(e.prompt))} | ${esc(tok.decode(e.clean))} | ${esc(tok.decode(e.edited))} |`);
} else {
  md.push(`The loop sweep did not run: ${loopError}.`);
}

const doc = readFileSync(DOC, 'utf8');
const START = '<!-- report:start -->';
const END = '<!-- report:end -->';
const a = doc.indexOf(START);
const b = doc.indexOf(END);
if (a < 0 || b < a) throw new Error(`${DOC} has no ${START} … ${END} section`);
writeFileSync(DOC, doc.slice(0, a + START.length) + '\n' + md.join('\n') + '\n' + doc.slice(b));
log(`wrote ${DOC}, ${OUT}/report.json, ${OUT}/language-vectors.safetensors`);
model.dispose();
