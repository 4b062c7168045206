/**
 * Pathlight beside PyTorch CPU on the same weights and inputs, at the sizes researchers use: GPT-2-small-shaped and
 * Pythia-70m-shaped random checkpoints. Written to docs/benchmarks.md (section "Beside PyTorch"); run by
 * `npm run bench` after the engine figures, or alone:
 *   npx tsx scripts/bench-torch.ts [--backends=wasm,cpu] [--reps=5] [--models=gpt2-small,pythia-70m] [--no-write]
 * PyTorch is Debian's python3-torch (/usr/bin/python3, or $PATHLIGHT_PYTHON); without it that column is skipped
 * with a message. Both sides run on one thread (tfjs's WASM backend in Node has one; torch.set_num_threads(1)).
 * The values both compute are compared (last-position logits, one layer's gradient, the greedy continuation), so the
 * times are of the same computation. Figures, not tests: nothing is asserted.
 */
import * as tf from '@tensorflow/tfjs';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { generateBatch } from '../src/analysis/generate';
import { initBackend, type BackendName } from '../src/engine/backend';
import { parseConfig } from '../src/engine/config';
import { randomModel } from '../src/engine/init';
import type { Model } from '../src/engine/model';
import { runModel } from '../src/engine/run';
import { encodeSafetensors, type NamedTensor } from '../src/engine/safetensors-write';
import type { ModelConfig } from '../src/engine/types';
import type { Weights } from '../src/engine/weights';
import { writeSection } from './bench-doc';

const SHAPES: Record<string, { label: string; hf: Record<string, unknown> }> = {
  'gpt2-small': {
    label: 'GPT-2-small-shaped (12L, 768 wide, 50257 vocab, 124M)',
    hf: { model_type: 'gpt2', n_layer: 12, n_head: 12, n_embd: 768, n_positions: 1024, vocab_size: 50257 },
  },
  'pythia-70m': {
    label: 'Pythia-70m-shaped (6L, 512 wide, 50304 vocab, rotary 25%, parallel residual, 70M)',
    hf: {
      model_type: 'gpt_neox', num_hidden_layers: 6, num_attention_heads: 8, hidden_size: 512, intermediate_size: 2048, vocab_size: 50304,
      max_position_embeddings: 2048, rotary_pct: 0.25, rotary_emb_base: 10000, use_parallel_residual: true, hidden_act: 'gelu', layer_norm_eps: 1e-5, tie_word_embeddings: false,
    },
  },
};

const T = 128;
const GEN_PROMPT = 16;
const GEN_TOKENS = 64;

interface Times {
  matmul2048_ms: number;
  forward_ms: number;
  gradient_ms: number;
  generate_ms: number | null;
}

function median(xs: number[]): number {
  return [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
}

async function timeMs(fn: () => Promise<unknown>, reps: number): Promise<number> {
  await fn();
  const ts: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = performance.now();
    await fn();
    ts.push(performance.now() - t0);
  }
  return median(ts);
}

/** The canonical weights under their canonical names (what bench_torch.py reads). */
function canonicalTensors(w: Weights): NamedTensor[] {
  const out: NamedTensor[] = [];
  const add = (name: string, t: tf.Tensor | undefined) => t && out.push({ name, shape: [...t.shape], data: t.dataSync() as Float32Array });
  add('embed', w.embed);
  add('pos', w.pos);
  add('unembed', w.unembed);
  add('lnFinal.weight', w.lnFinal.weight);
  add('lnFinal.bias', w.lnFinal.bias);
  w.blocks.forEach((b, l) => {
    for (const [n, norm] of [['ln1', b.ln1], ['ln2', b.ln2]] as const) (add(`blocks.${l}.${n}.weight`, norm.weight), add(`blocks.${l}.${n}.bias`, norm.bias));
    for (const [n, lin] of [['attn.qkv', b.attn.qkv], ['attn.o', b.attn.o], ['mlp.in', b.mlp.in], ['mlp.out', b.mlp.out]] as const) {
      add(`blocks.${l}.${n}.weight`, lin.weight);
      add(`blocks.${l}.${n}.bias`, lin.bias);
    }
  });
  return out;
}

function inputsFor(cfg: ModelConfig) {
  const ids = Array.from({ length: T }, (_, i) => (i * 7919 + 13) % cfg.vocabSize);
  return { ids, target: 1234 % cfg.vocabSize, genPrompt: ids.slice(0, GEN_PROMPT), genTokens: GEN_TOKENS };
}

async function pathlight(model: Model, backend: BackendName, reps: number, inp: ReturnType<typeof inputsFor>) {
  const cfg = model.config;
  const a = tf.randomNormal([2048, 2048]);
  const b = tf.randomNormal([2048, 2048]);
  const heavy = backend === 'cpu';
  const n = heavy ? 1 : reps;
  const matmul2048_ms = await timeMs(async () => {
    const r = tf.matMul(a, b);
    await r.data();
    r.dispose();
  }, heavy ? 1 : 3);
  a.dispose();
  b.dispose();
  const capture = Array.from({ length: cfg.nLayer }, (_, l) => `blocks.${l}.mlp.hook_post`);
  const forward = () => runModel(model, { inputIds: [inp.ids], logits: 'last' });
  const gradient = () => runModel(model, { inputIds: [inp.ids], capture, target: { kind: 'logit', token: inp.target }, logits: 'none' });
  const generate = () => generateBatch(model, { prompts: [inp.genPrompt], maxTokens: GEN_TOKENS });
  const times: Times = {
    matmul2048_ms,
    forward_ms: await timeMs(forward, n),
    gradient_ms: await timeMs(gradient, n),
    // The pure-JavaScript CPU backend needs minutes for 64 GPT-2-sized steps: generation is timed on WASM only.
    generate_ms: heavy ? null : await timeMs(generate, Math.max(1, Math.floor(n / 2))),
  };
  const fwd = await forward();
  const grad = await gradient();
  const gen = heavy ? null : (await generate()).generated[0];
  const D = cfg.dMlp;
  return {
    times,
    lastLogits: Array.from(fwd.logits!.data.slice(0, 64)),
    gradLayer0: Array.from(grad.grads!['blocks.0.mlp.hook_post'].data.slice((T - 1) * D, (T - 1) * D + 64)),
    generated: gen,
  };
}

function pythonPath(): string {
  return process.env.PATHLIGHT_PYTHON ?? '/usr/bin/python3';
}

function torchAvailable(): string | null {
  const r = spawnSync(pythonPath(), ['-c', 'import torch; print(torch.__version__)'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : null;
}

function runTorch(dir: string, reps: number): (Times & { last_logits: number[]; grad_layer0: number[]; generated: number[]; torch: string; threads: number }) | string {
  // One thread: torch.set_num_threads covers torch's own pool; BLAS libraries (OpenBLAS's pthreads build) read these.
  const env = { ...process.env, OMP_NUM_THREADS: '1', OPENBLAS_NUM_THREADS: '1', MKL_NUM_THREADS: '1' };
  const r = spawnSync(pythonPath(), [join(import.meta.dirname, 'bench_torch.py'), dir, '1', String(reps)], { encoding: 'utf8', maxBuffer: 1 << 26, env });
  if (r.status !== 0) return `PyTorch run failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`;
  return JSON.parse(r.stdout.trim().split('\n').pop()!);
}

function worstDiff(a: number[], b: number[]): number {
  let w = 0;
  for (let i = 0; i < a.length; i++) w = Math.max(w, Math.abs(a[i] - b[i]) / (1e-4 + 1e-3 * Math.abs(b[i])));
  return w;
}

/** Runs the side-by-side benchmark and returns the markdown section's text. */
export async function benchBesideTorch(opts: { backends: BackendName[]; reps: number; models: string[] }): Promise<string> {
  tf.env().set('PROD', true);
  const torchVersion = torchAvailable();
  const rows: string[] = [];
  const notes: string[] = [];
  if (!torchVersion) notes.push(`- PyTorch is not installed here (${pythonPath()} cannot import torch; \`apt-get install -y python3-torch libopenblas0-pthread\`): its column is skipped.`);
  const fmt = (x: number | null | undefined) => (x == null ? '—' : x >= 100 ? x.toFixed(0) : x.toFixed(1));
  const ratio = (a: number | null | undefined, b: number | null | undefined) => (a == null || b == null ? '—' : `${(a / b).toFixed(2)}×`);
  for (const name of opts.models) {
    const shape = SHAPES[name];
    if (!shape) throw new Error(`unknown model shape "${name}" (known: ${Object.keys(SHAPES).join(', ')})`);
    const cfg = parseConfig(shape.hf);
    const inp = inputsFor(cfg);
    const dir = mkdtempSync(join(tmpdir(), `pathlight-bench-${name}-`));
    let torch: ReturnType<typeof runTorch> | null = null;
    try {
      await initBackend('cpu');
      const exported = randomModel(cfg, 5, name);
      writeFileSync(join(dir, 'weights.safetensors'), encodeSafetensors(canonicalTensors(exported.weights)));
      exported.dispose();
      writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
      writeFileSync(join(dir, 'inputs.json'), JSON.stringify(inp));
      if (torchVersion) {
        torch = runTorch(dir, opts.reps);
        if (typeof torch === 'string') (notes.push(`- ${name}: ${torch}`), (torch = null));
      }
      for (const b of opts.backends) {
        const used = await initBackend(b).catch(() => null);
        if (used !== b) {
          notes.push(`- ${b}: could not be started here; skipped.`);
          continue;
        }
        const model = randomModel(cfg, 5, name);
        const p = await pathlight(model, b, opts.reps, inp);
        model.dispose();
        const t = torch;
        const agree = t ? `logits ${worstDiff(p.lastLogits, t.last_logits).toFixed(2)}, gradient ${worstDiff(p.gradLayer0, t.grad_layer0).toFixed(2)}${p.generated ? `, continuation ${p.generated.every((x, i) => x === t.generated[i]) ? 'identical' : 'differs'}` : ''}` : '—';
        const tokS = (ms: number | null | undefined) => (ms == null ? '—' : ((GEN_TOKENS * 1000) / ms).toFixed(1));
        rows.push(
          `| ${shape.label} | ${b} | ${fmt(p.times.forward_ms)} | ${fmt(t?.forward_ms)} | ${ratio(p.times.forward_ms, t?.forward_ms)} | ${fmt(p.times.gradient_ms)} | ${fmt(t?.gradient_ms)} | ${ratio(p.times.gradient_ms, t?.gradient_ms)} | ${tokS(p.times.generate_ms)} | ${tokS(t?.generate_ms)} | ${ratio(p.times.generate_ms, t?.generate_ms)} | ${agree} |`,
        );
        const gf = (ms: number | null | undefined) => (ms == null ? '—' : ((2 * 2048 ** 3) / ms / 1e6).toFixed(1));
        notes.push(`- ${name} on ${b}: 2048³ matmul ${fmt(p.times.matmul2048_ms)} ms = ${gf(p.times.matmul2048_ms)} GFLOP/s; PyTorch ${fmt(t?.matmul2048_ms)} ms = ${gf(t?.matmul2048_ms)} GFLOP/s.`);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  const header = [
    '| model | Pathlight backend | forward (ms) | PyTorch (ms) | ratio | gradient (ms) | PyTorch (ms) | ratio | generation (tokens/s) | PyTorch (tokens/s) | time ratio | agreement (worst ÷ (1e-4 + 1e-3·|ref|)) |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  return [
    `Measured ${new Date().toISOString().slice(0, 10)} on ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${(totalmem() / 2 ** 30).toFixed(0)} GiB, load average ${loadavg()[0].toFixed(1)} at the start; Node ${process.version}, tfjs ${tf.version.tfjs}${torchVersion ? `, PyTorch ${torchVersion}` : ''}; one thread each. Random weights, the same file for both; forward and gradient over ${T} tokens (the gradient: d logit(target) at the last position / d every layer's \`mlp.hook_post\`, one backward pass); generation: ${GEN_TOKENS} greedy tokens after a ${GEN_PROMPT}-token prompt with a key/value cache on both sides. Ratios are Pathlight ÷ PyTorch (lower is better; the target is ≤ 2×). Median of ${opts.reps} runs after a warm-up (CPU backend: one run).`,
    '',
    ...header,
    ...rows,
    '',
    ...notes,
  ].join('\n');
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const argv = process.argv.slice(2);
  const arg = (k: string) => argv.find((a) => a.startsWith(`--${k}=`))?.split('=')[1];
  const text = await benchBesideTorch({
    backends: (arg('backends') ?? 'wasm,cpu').split(',') as BackendName[],
    reps: Number(arg('reps') ?? 5),
    models: (arg('models') ?? 'gpt2-small,pythia-70m').split(','),
  });
  console.log(text);
  if (!argv.includes('--no-write')) writeSection('docs/benchmarks.md', 'Beside PyTorch', text);
}
