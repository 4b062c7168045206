/**
 * The NeuronPath manipulation experiment on the bundled models, written to docs/faithfulness.md:
 *   npx tsx scripts/faithfulness-report.ts [--prompts 50] [--steps 20]
 * Prompts: polyglot — the first 48 characters of held-out fortunes, languages in turn; induction — random
 * sequences whose last token lies inside a repeated span. Target: the model's own top-1 next token.
 */
import * as tf from '@tensorflow/tfjs';
import { readFileSync, writeFileSync } from 'node:fs';
import { faithfulness, PATH_METHODS, type FaithfulnessResult } from '../src/analysis/faithfulness';
import { initBackend } from '../src/engine/backend';
import { loadModelDir } from '../src/engine/node-load';
import { inductionEvalSet, INDUCTION_CHARS } from '../src/train/induction-data';

const argv = process.argv.slice(2);
const num = (k: string, d: number) => Number(argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1] ?? d);
const nPrompts = num('prompts', 50);
const steps = num('steps', 20);
tf.env().set('PROD', true);
await initBackend('wasm');

function polyglotPrompts(encode: (s: string) => number[]): number[][] {
  const langs = ['en', 'de', 'es', 'it'].map((l) => readFileSync(`data/polyglot/${l}.val.txt`, 'utf8').split('\n').filter((s) => s.length >= 60));
  const out: number[][] = [];
  for (let i = 0; out.length < nPrompts; i++) for (const l of langs) if (out.length < nPrompts && l[i + 40]) out.push(encode(l[i + 40].slice(0, 48)));
  return out;
}

function inductionPrompts(): number[][] {
  return inductionEvalSet(nPrompts, 65, INDUCTION_CHARS.length, 4242).map((s) => {
    // Cut just after the middle of the repeated span so the next token is predictable by induction.
    const cut = s.repeated[Math.floor(s.repeated.length / 2)] + 1;
    return s.ids.slice(0, cut);
  });
}

function table(r: FaithfulnessResult): string {
  const rows = ['| path | remove (×0): Δp mean ± sd | enhance (×2): Δp mean ± sd |', '| --- | --- | --- |'];
  for (const m of PATH_METHODS) {
    const rem = r.summary.find((s) => s.method === m && s.manipulation === 'remove')!;
    const enh = r.summary.find((s) => s.method === m && s.manipulation === 'enhance')!;
    rows.push(`| ${m} | ${rem.mean.toFixed(4)} ± ${rem.sd.toFixed(4)} | ${enh.mean.toFixed(4)} ± ${enh.sd.toFixed(4)} |`);
  }
  return rows.join('\n');
}

function barSvg(r: FaithfulnessResult, title: string): string {
  const W = 560;
  const H = 220;
  const ms = PATH_METHODS;
  const vals = r.summary.map((s) => s.mean);
  const lo = Math.min(0, ...vals);
  const hi = Math.max(0, ...vals);
  const y = (v: number) => 30 + ((hi - v) / Math.max(1e-9, hi - lo)) * (H - 70);
  const bw = (W - 80) / (ms.length * 2 + ms.length);
  const parts = [`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="11"><rect width="${W}" height="${H}" fill="white"/><text x="${W / 2}" y="16" text-anchor="middle" font-size="13">${title}</text>`];
  parts.push(`<line x1="50" x2="${W - 10}" y1="${y(0)}" y2="${y(0)}" stroke="#333"/>`);
  ms.forEach((m, i) => {
    (['remove', 'enhance'] as const).forEach((man, j) => {
      const s = r.summary.find((x) => x.method === m && x.manipulation === man)!;
      const x = 60 + (i * 3 + j) * bw;
      parts.push(`<rect x="${x}" y="${Math.min(y(0), y(s.mean))}" width="${bw - 2}" height="${Math.abs(y(s.mean) - y(0))}" fill="${man === 'remove' ? '#dc2626' : '#2563eb'}"><title>${m} ${man}: ${s.mean.toFixed(4)}</title></rect>`);
    });
    parts.push(`<text x="${60 + (i * 3 + 1) * bw}" y="${H - 22}" text-anchor="middle">${m}</text>`);
  });
  parts.push(`<text x="8" y="${y(hi)}">${hi.toFixed(3)}</text><text x="8" y="${y(lo)}">${lo.toFixed(3)}</text>`);
  parts.push(`<rect x="${W - 170}" y="26" width="10" height="10" fill="#dc2626"/><text x="${W - 155}" y="35">remove (×0)</text><rect x="${W - 170}" y="42" width="10" height="10" fill="#2563eb"/><text x="${W - 155}" y="51">enhance (×2)</text></svg>`);
  return parts.join('\n');
}

const sections: string[] = [];
for (const name of ['polyglot', 'induction']) {
  const model = await loadModelDir(name);
  const prompts = name === 'polyglot' ? polyglotPrompts((s) => model.tokenizer!.encode(s)) : inductionPrompts();
  const t0 = performance.now();
  const r = await faithfulness(model, prompts, { steps, seed: 7 });
  const secs = ((performance.now() - t0) / 1000).toFixed(0);
  writeFileSync(`docs/faithfulness-${name}.svg`, barSvg(r, `${name}: change of the target's probability (${prompts.length} prompts)`));
  const best = (man: 'remove' | 'enhance') =>
    [...r.summary.filter((s) => s.manipulation === man)].sort((a, b) => (man === 'remove' ? a.mean - b.mean : b.mean - a.mean))[0].method;
  sections.push(
    [
      `## ${name}`,
      '',
      `${prompts.length} prompts, m = ${steps} integrated-gradient steps, mean clean probability of the target ${(r.rows.reduce((a, x) => a + x.pClean, 0) / r.rows.length).toFixed(3)}; ${secs} s on WASM.`,
      '',
      table(r),
      '',
      `![${name}](faithfulness-${name}.svg)`,
      '',
      `Largest drop when removed: **${best('remove')}**; largest gain when enhanced: **${best('enhance')}**.`,
    ].join('\n'),
  );
  model.dispose();
}
const doc = `# Faithfulness of neuron paths

The manipulation experiment of NeuronPath (ICLR 2025), on the bundled models: for each prompt the target is the
model's top-1 next token; a path (one MLP neuron per layer at the last position) is found by NeuronPath (joint
integrated gradients, layer by layer) and by three baselines — the activation path (largest activation per
layer), the per-layer IG path (largest single-layer integrated gradient per layer, chosen independently) and a
random path. Each path's neurons are then removed (×0) or enhanced (×2) at the target position and the change of
the target token's probability is measured (Δp = p_edited − p_clean). A faithful path should give the most
negative Δp when removed and the most positive when enhanced.

Reproduce: \`npx tsx scripts/faithfulness-report.ts --prompts=${nPrompts} --steps=${steps}\` (the CLI equivalent for
one model is \`npx pathlight faithfulness --model polyglot --prompts FILE\`).

${sections.join('\n\n')}
`;
writeFileSync('docs/faithfulness.md', doc);
console.log(doc);
