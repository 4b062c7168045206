/**
 * Previous-token, induction and self-attention scores of every head of a model (bundled name or folder), on
 * repeated random sequences (the induction task's evaluation layout): npx tsx scripts/head-scores.ts induction
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { headPatternScores } from '../src/analysis/head-patterns';
import { initBackend } from '../src/engine/backend';
import { loadModelDir } from '../src/engine/node-load';
import { inductionEvalSet } from '../src/train/induction-data';

const name = process.argv[2] ?? 'induction';
tf.env().set('PROD', true);
await initBackend('wasm');
const model = await loadModelDir(name);
const T = model.config.nCtx;
const seqs = inductionEvalSet(32, T + 1, Math.min(64, model.config.vocabSize), 777).map((s) => ({ ids: s.ids.slice(0, T), repeated: s.repeated.filter((t) => t + 1 < T) }));
const s = await headPatternScores(model, seqs);
const f = (a: number[]) => a.map((x) => x.toFixed(3)).join('  ');
for (let l = 0; l < model.config.nLayer; l++) console.log(`layer ${l}: prev ${f(s.prevToken[l])} | induction ${f(s.induction[l])} | self ${f(s.self[l])}`);
model.dispose();
