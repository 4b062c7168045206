/**
 * Held-out evaluation of a digit classifier: accuracy, per-class accuracy and the confusion matrix, from any
 * function that maps a batch of pixel_values to class logits (the trainer's forward pass, or the engine running a
 * loaded model), so the model card and the test compute the same figures the same way.
 */
import { DIGIT_LABELS, pixelValues, type Digit } from './vision-data';

/** pixel_values [B, 1, 28, 28] (flat) and B → logits [B, labels] (flat, row-major). */
export type ClassifyBatch = (pixels: Float32Array, batch: number) => Promise<Float32Array>;

export interface Evaluation {
  images: number;
  correct: number;
  accuracy: number;
  /** Mean cross-entropy (nats) of the true label. */
  loss: number;
  /** Accuracy per true label. */
  perClass: number[];
  /** confusion[true][predicted] = count. */
  confusion: number[][];
  /** Each image's predicted label, in input order. */
  predictions: number[];
}

/** Classifies `digits` in batches and tallies the results. */
export async function evaluateDigits(classify: ClassifyBatch, digits: Digit[], batch = 250): Promise<Evaluation> {
  const C = DIGIT_LABELS.length;
  const confusion = Array.from({ length: C }, () => new Array<number>(C).fill(0));
  const predictions: number[] = [];
  let loss = 0;
  for (let i = 0; i < digits.length; i += batch) {
    const chunk = digits.slice(i, i + batch);
    const logits = await classify(pixelValues(chunk), chunk.length);
    if (logits.length !== chunk.length * C) throw new Error(`classifier returned ${logits.length} logits for ${chunk.length} images of ${C} classes`);
    chunk.forEach((d, b) => {
      const row = logits.subarray(b * C, (b + 1) * C);
      let best = 0;
      for (let c = 1; c < C; c++) if (row[c] > row[best]) best = c;
      let max = -Infinity;
      for (const v of row) max = Math.max(max, v);
      let z = 0;
      for (const v of row) z += Math.exp(v - max);
      loss += max + Math.log(z) - row[d.label];
      confusion[d.label][best] += 1;
      predictions.push(best);
    });
  }
  const correct = confusion.reduce((s, r, c) => s + r[c], 0);
  const perClass = confusion.map((r, c) => r[c] / Math.max(1, r.reduce((a, b) => a + b, 0)));
  return { images: digits.length, correct, accuracy: correct / Math.max(1, digits.length), loss: loss / Math.max(1, digits.length), perClass, confusion, predictions };
}

/** The confusion matrix as a markdown table (rows: true label, columns: predicted). */
export function confusionMarkdown(e: Evaluation): string {
  const head = `| true \\ predicted | ${DIGIT_LABELS.join(' | ')} | accuracy |`;
  const rule = `|---|${DIGIT_LABELS.map(() => '---:').join('|')}|---:|`;
  const rows = e.confusion.map((r, c) => `| **${DIGIT_LABELS[c]}** | ${r.map((n, p) => (p === c ? `**${n}**` : String(n))).join(' | ')} | ${(100 * e.perClass[c]).toFixed(1)}% |`);
  return [head, rule, ...rows].join('\n');
}
