/**
 * The NeuronPath manipulation experiment on the bundled models, written to docs/faithfulness.md (with one SVG plot
 * per model and the prompt files, so that `pathlight faithfulness` reproduces each table):
 *   npx tsx scripts/faithfulness.ts [--prompts=50] [--steps=20] [--models=polyglot,induction] [--target-kind=logit]
 * Prompts: polyglot — 48 characters of held-out text, the four languages in turn; induction — random sequences cut
 * just after the middle of their repeated span (the next token is predictable by induction). Target: the model's
 * own top-1 next token. Rows: NeuronPath (layer-scaled and exact joint), the activation, per-layer IG, per-layer
 * grad × act and random paths, and 20 more random paths per prompt; 95% bootstrap intervals over prompts.
 */
import * as tf from '@tensorflow/tfjs';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { faithfulness, type FaithfulnessResult, type PathMethod } from '../src/analysis/faithfulness';
import { initBackend } from '../src/engine/backend';
import type { Model } from '../src/engine/model';
import { loadModelDir } from '../src/engine/node-load';
import { inductionEvalSet } from '../src/train/induction-data';

const argv = process.argv.slice(2);
const arg = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
const nPrompts = Number(arg('prompts') ?? 50);
const steps = Number(arg('steps') ?? 20);
const targetKind = (arg('target-kind') ?? 'logit') as 'logit' | 'logprob';
const models = (arg('models') ?? 'polyglot,induction').split(',');
tf.env().set('PROD', true);
await initBackend('wasm');

/**
 * The rows of the report: the paths of one run, NeuronPath with exact joint attribution from a second, and the
 * distribution over the random paths drawn per prompt.
 */
const KEYS = ['neuronpath', 'neuronpath_exact', 'activation', 'layer_ig', 'gxa', 'random', 'random_dist'] as const;
type Key = (typeof KEYS)[number];
const RANDOM_PATHS = 20;
const LABEL: Record<Key, string> = {
  neuronpath: 'NeuronPath',
  neuronpath_exact: 'NeuronPath, exact joint',
  activation: 'activation path',
  layer_ig: 'per-layer IG path',
  gxa: 'per-layer grad × act path',
  random: 'random path',
  random_dist: `random paths (${RANDOM_PATHS} per prompt)`,
};
interface Stat {
  mean: number;
  sd: number;
  n: number;
  ci95: [number, number];
}
type Report = Record<Key, Record<'remove' | 'enhance', Stat>>;

function report(layer: FaithfulnessResult, exact: FaithfulnessResult): Report {
  const stat = (r: FaithfulnessResult, m: PathMethod, man: 'remove' | 'enhance'): Stat => {
    const s = r.summary.find((x) => x.method === m && x.manipulation === man)!;
    return { mean: s.mean, sd: s.sd, n: s.n, ci95: s.ci95! };
  };
  const pick = (r: FaithfulnessResult, m: PathMethod) => ({ remove: stat(r, m, 'remove'), enhance: stat(r, m, 'enhance') });
  const dist = (man: 'remove' | 'enhance'): Stat => {
    const d = layer.random!.find((x) => x.manipulation === man)!;
    return { mean: d.mean, sd: d.sd, n: layer.rows.length, ci95: d.ci95 };
  };
  return {
    neuronpath: pick(layer, 'neuronpath'),
    neuronpath_exact: pick(exact, 'neuronpath'),
    activation: pick(layer, 'activation'),
    layer_ig: pick(layer, 'layer_ig'),
    gxa: pick(layer, 'gxa'),
    random: pick(layer, 'random'),
    random_dist: { remove: dist('remove'), enhance: dist('enhance') },
  };
}

/** Prompt lines as the CLI reads them (text through the model's tokenizer). */
function promptLines(name: string, model: Model): string[] {
  if (name === 'induction') {
    const V = Math.min(64, model.config.vocabSize);
    const decode = (ids: number[]) => ids.map((i) => model.tokenizer!.tokenString(i)).join('');
    return inductionEvalSet(nPrompts, Math.min(65, model.config.nCtx), V, 4242).map((s) => decode(s.ids.slice(0, s.repeated[Math.floor(s.repeated.length / 2)] + 1)));
  }
  const langs = ['en', 'de', 'es', 'it'].map((l) => readFileSync(`data/polyglot/${l}.val.txt`, 'utf8').split('\n').filter((s) => s.length >= 60));
  const out: string[] = [];
  for (let i = 0; out.length < nPrompts; i++) for (const l of langs) if (out.length < nPrompts && l[i + 40]) out.push(l[i + 40].slice(0, 48));
  return out;
}

const f = (x: number) => (Math.abs(x) < 0.0005 && x !== 0 ? x.toExponential(1) : x.toFixed(3));

function table(rep: Report): string {
  const rows = ['| path | remove (×0): Δp, mean ± sd | remove: 95% CI of the mean | enhance (×2): Δp, mean ± sd | enhance: 95% CI of the mean |', '| --- | --- | --- | --- | --- |'];
  const ci = (x: Stat) => `[${f(x.ci95[0])}, ${f(x.ci95[1])}]`;
  for (const k of KEYS) rows.push(`| ${LABEL[k]} | ${f(rep[k].remove.mean)} ± ${f(rep[k].remove.sd)} | ${ci(rep[k].remove)} | ${f(rep[k].enhance.mean)} ± ${f(rep[k].enhance.sd)} | ${ci(rep[k].enhance)} |`);
  return rows.join('\n');
}

/** Where NeuronPath falls in each prompt's random-path distribution. */
function randomLine(r: FaithfulnessResult): string {
  const d = (man: 'remove' | 'enhance') => r.random!.find((x) => x.manipulation === man)!;
  const q = (x: ReturnType<typeof d>) => `5/50/95% quantiles ${f(x.q05)} / ${f(x.q50)} / ${f(x.q95)}`;
  return `Random paths, ${RANDOM_PATHS} per prompt: removal ${q(d('remove'))}, enhancement ${q(d('enhance'))}; NeuronPath is more extreme than ${(100 * d('remove').neuronpathPercentile).toFixed(0)}% (removal) and ${(100 * d('enhance').neuronpathPercentile).toFixed(0)}% (enhancement) of a prompt's random paths on average.`;
}

function pairedTable(layer: FaithfulnessResult, exact: FaithfulnessResult): string {
  const rows = [
    '| NeuronPath vs | remove: better / worse / same | remove: mean difference, sign test | enhance: better / worse / same | enhance: mean difference, sign test |',
    '| --- | --- | --- | --- | --- |',
  ];
  for (const [which, r] of [['', layer], [', exact joint', exact]] as const) {
    for (const b of ['activation', 'layer_ig', 'gxa', 'random'] as const) {
      const rem = r.paired!.find((p) => p.baseline === b && p.manipulation === 'remove')!;
      const enh = r.paired!.find((p) => p.baseline === b && p.manipulation === 'enhance')!;
      const cell = (x: typeof rem) => `${x.wins} / ${x.losses} / ${x.ties}`;
      const p = (x: typeof rem) => `${f(x.meanDiff)}, p = ${x.pSign! < 0.001 ? x.pSign!.toExponential(0) : x.pSign!.toFixed(3)}`;
      rows.push(`| ${LABEL[b]}${which ? ` (NeuronPath${which})` : ''} | ${cell(rem)} | ${p(rem)} | ${cell(enh)} | ${p(enh)} |`);
    }
  }
  return rows.join('\n');
}

/** How often the layer-scaled NeuronPath picks the same neurons as the per-layer IG path. */
function agreement(r: FaithfulnessResult): string {
  let same = 0;
  let nodes = 0;
  let whole = 0;
  for (const row of r.rows) {
    const a = row.paths!.neuronpath;
    const b = row.paths!.layer_ig;
    a.forEach((x, i) => (same += x === b[i] ? 1 : 0));
    nodes += a.length;
    whole += a.join() === b.join() ? 1 : 0;
  }
  return `NeuronPath and the per-layer IG path share ${((100 * same) / nodes).toFixed(0)}% of their neurons and are identical on ${whole} of ${r.rows.length} prompts.`;
}

/** Bars of the mean Δp per path and manipulation, whiskers ± one standard error of the mean. */
function barSvg(rep: Report, title: string): string {
  const W = 860;
  const H = 280;
  const top = 34;
  const bottom = H - 64;
  const stats = KEYS.flatMap((k) => (['remove', 'enhance'] as const).map((man) => ({ key: k, manipulation: man, ...rep[k][man] })));
  const lo = Math.min(0, ...stats.map((s) => s.ci95[0]));
  const hi = Math.max(0, ...stats.map((s) => s.ci95[1]));
  const y = (v: number) => +(top + ((hi - v) / Math.max(1e-9, hi - lo)) * (bottom - top)).toFixed(1);
  const groupW = (W - 90) / KEYS.length;
  const bw = groupW / 3;
  const parts = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif" font-size="11">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="18" text-anchor="middle" font-size="13">${title}</text>`,
    `<line x1="70" x2="${W - 10}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`,
    `<text x="64" y="${y(hi) + 4}" text-anchor="end">${f(hi)}</text>`,
    `<text x="64" y="${y(0) + 4}" text-anchor="end">0</text>`,
    `<text x="64" y="${y(lo) + 4}" text-anchor="end">${f(lo)}</text>`,
    `<text x="14" y="${(top + bottom) / 2}" transform="rotate(-90 14 ${(top + bottom) / 2})" text-anchor="middle">Δp of the target</text>`,
  ];
  KEYS.forEach((m, i) => {
    (['remove', 'enhance'] as const).forEach((man, j) => {
      const s = stats.find((x) => x.key === m && x.manipulation === man)!;
      const x = +(80 + i * groupW + j * bw).toFixed(1);
      const cx = +(x + (bw - 4) / 2).toFixed(1);
      parts.push(`<rect x="${x}" y="${Math.min(y(0), y(s.mean))}" width="${(bw - 4).toFixed(1)}" height="${Math.abs(y(s.mean) - y(0)).toFixed(1)}" fill="${man === 'remove' ? '#dc2626' : '#2563eb'}"><title>${LABEL[m]}, ${man}: ${f(s.mean)}, 95% CI [${f(s.ci95[0])}, ${f(s.ci95[1])}]</title></rect>`);
      parts.push(`<line x1="${cx}" x2="${cx}" y1="${y(s.ci95[0])}" y2="${y(s.ci95[1])}" stroke="#111"/>`);
    });
    // Labels on two lines when long: the bars of a group are about 120 px wide.
    const words = LABEL[m].split(' ');
    const cut = LABEL[m].length > 16 ? Math.ceil(words.length / 2) : words.length;
    const cx = (80 + i * groupW + bw).toFixed(1);
    parts.push(`<text x="${cx}" y="${H - 44}" text-anchor="middle">${words.slice(0, cut).join(' ')}</text>`);
    if (cut < words.length) parts.push(`<text x="${cx}" y="${H - 31}" text-anchor="middle">${words.slice(cut).join(' ')}</text>`);
  });
  parts.push(
    `<rect x="80" y="${H - 20}" width="10" height="10" fill="#dc2626"/><text x="95" y="${H - 11}">remove (×0)</text>`,
    `<rect x="190" y="${H - 20}" width="10" height="10" fill="#2563eb"/><text x="205" y="${H - 11}">enhance (×2)</text>`,
    `<text x="310" y="${H - 11}">whiskers: 95% bootstrap interval of the mean over prompts</text>`,
    '</svg>',
  );
  return parts.join('\n') + '\n';
}

const sections: string[] = [];
for (const name of models) {
  if (!existsSync(`public/models/${name}/config.json`)) {
    sections.push(`## ${name}\n\nNot measured: public/models/${name} was not bundled when this was written.`);
    continue;
  }
  const model = await loadModelDir(name);
  const lines = promptLines(name, model);
  const promptFile = `docs/faithfulness-prompts-${name}.txt`;
  writeFileSync(promptFile, lines.join('\n') + '\n');
  const prompts = lines.map((l) => model.tokenizer!.encode(l).slice(-model.config.nCtx));
  const t0 = performance.now();
  const r = await faithfulness(model, prompts, { steps, seed: 7, targetKind, randomPaths: RANDOM_PATHS });
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  const t1 = performance.now();
  const rx = await faithfulness(model, prompts, { steps, seed: 7, targetKind, joint: 'exact', randomPaths: 0 });
  const secsX = ((performance.now() - t1) / 1000).toFixed(0);
  const rep = report(r, rx);
  writeFileSync(`docs/faithfulness-${name}.svg`, barSvg(rep, `${name}: change of the target's probability, ${prompts.length} prompts`));
  const best = (man: 'remove' | 'enhance') => [...KEYS].sort((a, b) => (man === 'remove' ? rep[a][man].mean - rep[b][man].mean : rep[b][man].mean - rep[a][man].mean))[0];
  const pClean = r.rows.reduce((a, x) => a + x.pClean, 0) / r.rows.length;
  writeFileSync(`docs/faithfulness-${name}.json`, JSON.stringify({ model: name, steps, targetKind, layer: { summary: r.summary, paired: r.paired, random: r.random, rows: r.rows }, exact: { summary: rx.summary, paired: rx.paired, rows: rx.rows } }) + '\n');
  sections.push(
    [
      `## ${name}`,
      '',
      `${prompts.length} prompts ([${promptFile.slice(5)}](${promptFile.slice(5)})), m = ${steps}, mean clean probability of the target ${pClean.toFixed(3)}; ${secs} s (layer-scaled search and baselines) and ${secsX} s (exact joint) on WASM. Per-prompt rows: [faithfulness-${name}.json](faithfulness-${name}.json).`,
      '',
      table(rep),
      '',
      `![${name}](faithfulness-${name}.svg)`,
      '',
      pairedTable(r, rx),
      '',
      agreement(r),
      randomLine(r),
      `Largest mean drop when removed: **${LABEL[best('remove')]}**; largest mean gain when enhanced: **${LABEL[best('enhance')]}**.`,
      '',
      `Reproduce with the CLI: \`npx pathlight faithfulness --model ${name} --prompts docs/faithfulness-prompts-${name}.txt --steps ${steps} --seed 7${targetKind === 'logit' ? '' : ' --target-kind ' + targetKind}\` (add \`--joint exact\` for the exact row).`,
    ].join('\n'),
  );
  console.error(`${name}: ${secs} s`);
  model.dispose();
}

const generated = `<!-- generated by scripts/faithfulness.ts: tables, plots and prompt files; edit the discussion below the marker only -->

# Faithfulness of neuron paths

The manipulation experiment of NeuronPath (ICLR 2025), on the bundled models. For each prompt the target is the
model's top-1 next token; a path (one MLP neuron per layer at the last position) is found by

- **NeuronPath**: joint integrated gradients, layer by layer — with the path so far scaled jointly, the neuron of the
  next layer whose joint attribution with the path is largest (\`src/analysis/path.ts\`), computed as specified by
  one batched IG run per layer in which the whole layer is scaled along with the path;
- **activation path**: the largest activation in each layer;
- **per-layer IG path**: the largest integrated gradient in each layer, each layer scaled alone, chosen independently;
- **per-layer grad × act path**: the largest gradient × activation in each layer (one backward pass; the strongest
  cheap baseline);
- **random path**: a seeded random neuron per layer; and **random paths**: ${RANDOM_PATHS} more per prompt, whose
  mean Δp per prompt is averaged, with the quantiles of all their Δp;
- **NeuronPath, exact joint** (an extra row, \`--joint exact\`): the same layer-by-layer search, but the joint
  attribution of path ∪ {n} is computed with only path ∪ {n} scaled, which by completeness of integrated gradients
  is F(x) − F(path ∪ {n} zeroed) — one ablation run per candidate instead of one IG run per layer.

Each path's neurons are then removed (×0) or enhanced (×2) at the last position, and the change of the target
token's probability is measured: Δp = p_edited − p_clean. A faithful path gives the most negative Δp when removed
and the most positive when enhanced. The IG target is the target's ${targetKind}; m = ${steps} steps (midpoint rule).
Intervals are 95% percentile-bootstrap intervals of the mean over prompts (2000 resamples).

Reproduce everything: \`npx tsx scripts/faithfulness.ts --prompts=${nPrompts} --steps=${steps}${targetKind === 'logit' ? '' : ' --target-kind=' + targetKind}\`.

${sections.join('\n\n')}
`;
const marker = '<!-- discussion -->';
const old = existsSync('docs/faithfulness.md') ? readFileSync('docs/faithfulness.md', 'utf8') : '';
const discussion = old.includes(marker) ? old.slice(old.indexOf(marker)) : `${marker}\n\n## Discussion\n\n(to be written from the figures above)\n`;
writeFileSync('docs/faithfulness.md', generated + '\n' + discussion);
console.log(generated);
