/**
 * Class-level NeuronPath analysis and the faithfulness experiment on the bundled vision model (digits-vit), over
 * its held-out digits, written between the markers of docs/vision.md (the rest of the file is left as it is) and
 * in full to docs/vision-digits.json:
 *   npx tsx scripts/vision-faithfulness.ts [--per-class=20] [--steps=20] [--random-paths=20] [--resamples=2000]
 * The same figures come from `pathlight classpaths --model digits-vit --per-class N --faithfulness`.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync, existsSync } from 'node:fs';
import { classPaths, CLASS_PATH_METHODS, topNeurons, type ClassPathsResult, type Overlap } from '../src/analysis/class-paths';
import { faithfulness, PATH_METHODS, type FaithfulnessResult } from '../src/analysis/faithfulness';
import { initBackend } from '../src/engine/backend';
import { loadModelDir } from '../src/engine/node-load';
import { checkDigitsModel, heldOutImages } from '../src/cli/commands/classpaths';

const argv = process.argv.slice(2);
const arg = (k: string, d: number) => Number(argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const perClass = arg('per-class', 20);
const steps = arg('steps', 20);
const randomPaths = arg('random-paths', 20);
const resamples = arg('resamples', 2000);
tf.env().set('PROD', true);
await initBackend('wasm');
const model = await loadModelDir('digits-vit');
checkDigitsModel(model);
const images = heldOutImages(perClass);

const t0 = Date.now();
const all = await classPaths(model, images, { steps, positions: 'all', resamples });
const t1 = Date.now();
const cls = await classPaths(model, images, { steps, positions: 0, resamples });
const t2 = Date.now();
const faith = await faithfulness(model, images.map((im) => ({ ids: im.pixels, token: im.label })), { steps, positions: 'all', randomPaths, bootstrap: resamples });
const t3 = Date.now();
model.dispose();

const f3 = (x: number) => (Number.isFinite(x) ? x.toFixed(3) : '—');
const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
const pval = (p: number) => (p < 1e-4 ? p.toExponential(1) : p.toFixed(4));
const LABEL = { neuronpath: 'NeuronPath', activation: 'activation path', layer_ig: 'per-layer IG path', gxa: 'per-layer grad × act path', random: 'random path' } as const;

function overlapTable(r: ClassPathsResult): string {
  // At its floor 1/(R + 1) no permutation of the labels reached the observed difference.
  const perm = (p: number) => (p <= 1 / (resamples + 1) + 1e-12 ? `< ${(1 / resamples).toPrecision(1)} (0 of ${resamples})` : pval(p));
  const row = (m: (typeof CLASS_PATH_METHODS)[number], o: Overlap) => `| ${LABEL[m]} | ${f3(o.within)} | ${f3(o.between)} | ${f3(o.diff)} [${f3(o.ci95[0])}, ${f3(o.ci95[1])}] | ${perm(o.pPermutation)} |`;
  return ['| paths | within-class overlap | between-class overlap | within − between [95% CI] | permutation p |', '| --- | --- | --- | --- | --- |', ...CLASS_PATH_METHODS.map((m) => row(m, r.overlap[m]))].join('\n');
}

function frequencyTable(r: ClassPathsResult): string {
  const top = topNeurons(r.matrix, 4);
  const np = r.overlap.neuronpath.perClass;
  return [
    '| class | images | within-class overlap | most frequent path neurons (share of the class’s images) |',
    '| --- | --- | --- | --- |',
    ...top.map((t, i) => `| ${t.class} | ${t.images} | ${f3(np[i])} | ${t.top.map(([id, f]) => `${id} ${pct(f)}`).join(', ')} |`),
  ].join('\n');
}

/** Per layer: how many distinct neurons NeuronPath uses over all images, and the share of images the commonest one is on. */
function layerSpread(r: ClassPathsResult): string {
  const L = r.images[0].neurons.neuronpath.length;
  return Array.from({ length: L }, (_, l) => {
    const counts = new Map<number, number>();
    for (const im of r.images) counts.set(im.neurons.neuronpath[l], (counts.get(im.neurons.neuronpath[l]) ?? 0) + 1);
    const [n, c] = [...counts.entries()].sort((a, b) => b[1] - a[1])[0];
    return `layer ${l}: ${counts.size} distinct neurons, the commonest (L${l}.N${n}) on ${pct(c / r.images.length)} of all images`;
  }).join('; ');
}

function faithTable(f: FaithfulnessResult): string {
  const s = (m: string, man: string) => f.summary.find((x) => x.method === m && x.manipulation === man)!;
  const cell = (m: string, man: string) => {
    const x = s(m, man);
    return `${f3(x.mean)} [${f3(x.ci95![0])}, ${f3(x.ci95![1])}]`;
  };
  const pair = (m: string, man: string) => {
    if (m === 'neuronpath') return '—';
    const p = f.paired!.find((x) => x.baseline === m && x.manipulation === man)!;
    return `${p.wins}/${p.losses}/${p.ties}, p = ${pval(p.pSign!)}`;
  };
  const rows = PATH_METHODS.map((m) => `| ${LABEL[m]} | ${cell(m, 'remove')} | ${pair(m, 'remove')} | ${cell(m, 'enhance')} | ${pair(m, 'enhance')} |`);
  const dist = (man: 'remove' | 'enhance') => f.random!.find((x) => x.manipulation === man)!;
  const d = (man: 'remove' | 'enhance') => {
    const x = dist(man);
    return `${f3(x.mean)} [${f3(x.ci95[0])}, ${f3(x.ci95[1])}]`;
  };
  const beat = (man: 'remove' | 'enhance') => `NeuronPath beats ${pct(dist(man).neuronpathPercentile)} of them`;
  rows.push(`| ${randomPaths} random paths per image | ${d('remove')} | ${beat('remove')} | ${d('enhance')} | ${beat('enhance')} |`);
  return ['| paths | removal (×0): Δp [95% CI] | NeuronPath better / worse / tie, sign test | enhancement (×2): Δp [95% CI] | NeuronPath better / worse / tie, sign test |', '| --- | --- | --- | --- | --- |', ...rows].join('\n');
}

const pClean = faith.rows.reduce((a, r) => a + r.pClean, 0) / faith.rows.length;
const acc = all.images.filter((i) => i.predicted === i.label).length / all.images.length;
const block = `<!-- generated by scripts/vision-faithfulness.ts: edit outside the markers only -->
Measured on digits-vit over **${images.length} held-out digits** (the first ${perClass} held-out samples of each class,
src/train/vision-data.ts; the model classifies ${pct(acc)} of them correctly), wasm backend, IG with m = ${steps} steps,
path target: the logit of the image's label. Path search and statistics took ${((t1 - t0) / images.length).toFixed(0)} ms per image
(paths at every token), the faithfulness runs ${((t3 - t2) / images.length).toFixed(0)} ms per image. Full results: docs/vision-digits.json.

**Within- vs between-class overlap**, paths at every token (\`--positions all\`, the paper's setting):

${overlapTable(all)}

The same with the paths at [CLS] only (\`--positions cls\`):

${overlapTable(cls)}

**Class × neuron frequency** (NeuronPath, every token). ${layerSpread(all)}.

${frequencyTable(all)}

**Faithfulness** (${faith.rows.length} held-out images, mean clean probability of the label ${f3(pClean)}, so an enhancement can raise it by ${f3(1 - pClean)} at most on average): Δp = p(label | path
neurons scaled at every token) − p(label); removal scales them by 0, enhancement by 2. Mean over images with the 95%
percentile-bootstrap interval (${resamples} resamples); per baseline, the images where NeuronPath changes p more in the
intended direction (lower on removal, higher on enhancement) / less / equally, and the two-sided exact sign test.

${faithTable(faith)}
<!-- end generated -->`;

const doc = 'docs/vision.md';
const text = existsSync(doc) ? readFileSync(doc, 'utf8') : '';
const a = text.indexOf('<!-- generated by scripts/vision-faithfulness.ts');
const b = text.indexOf('<!-- end generated -->');
writeFileSync(doc, a >= 0 && b > a ? text.slice(0, a) + block + text.slice(b + '<!-- end generated -->'.length) : text + '\n' + block + '\n');
const strip = (r: ClassPathsResult) => ({ ...r, images: r.images.map((i) => ({ id: i.id, label: i.label, predicted: i.predicted, paths: i.paths })) });
writeFileSync('docs/vision-digits.json', JSON.stringify({ model: 'digits-vit', perClass, steps, randomPaths, resamples, classPaths: { all: strip(all), cls: strip(cls) }, faithfulness: { summary: faith.summary, paired: faith.paired, random: faith.random, rows: faith.rows } }) + '\n');
console.log(block);
