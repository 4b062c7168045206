import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURE_DIR } from '../engine/fixture';
import { cli } from './run-cli';

/** A model whose context is one token: the fixture with n_positions 1 and its position table cut to one row. */
function oneTokenModel(): string {
  const dir = mkdtempSync(join(tmpdir(), 'pathlight-ctx1-'));
  const cfg = JSON.parse(readFileSync(join(FIXTURE_DIR, 'config.json'), 'utf8'));
  cfg.n_positions = 1;
  cfg.n_ctx = 1;
  writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
  const bytes = new Uint8Array(readFileSync(join(FIXTURE_DIR, 'model.safetensors')));
  const len = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + len)));
  const [b, e] = header['transformer.wpe.weight'].data_offsets;
  const cut = e - b - 64 * 4;
  header['transformer.wpe.weight'].shape = [1, 64];
  header['transformer.wpe.weight'].data_offsets = [b, b + 64 * 4];
  for (const [k, v] of Object.entries<any>(header)) if (k !== '__metadata__' && v.data_offsets[0] >= e) v.data_offsets = v.data_offsets.map((o: number) => o - cut);
  const data = bytes.subarray(8 + len);
  const rest = new Uint8Array(data.length - cut);
  rest.set(data.subarray(0, b + 64 * 4));
  rest.set(data.subarray(e), b + 64 * 4);
  const text = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + text.length + rest.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(text.length), true);
  out.set(text, 8);
  out.set(rest, 8 + text.length);
  writeFileSync(join(dir, 'model.safetensors'), out);
  return dir;
}

/** Command-line inputs that must be refused with their own one-line message (exit 1 or 2, no stack trace). */
const CASES: Array<{ name: string; args: string[]; message: RegExp }> = [
  { name: 'hexadecimal token id', args: ['run', '--model', FIXTURE_DIR, '--ids', '0x10'], message: /--ids: "0x10" is not a token id \(decimal digits only\)/ },
  { name: 'exponent token id', args: ['run', '--model', FIXTURE_DIR, '--ids', '1e2'], message: /--ids: "1e2" is not a token id/ },
  { name: 'negative token id', args: ['run', '--model', FIXTURE_DIR, '--ids', '3,-1'], message: /--ids: "-1" is not a token id/ },
  { name: 'hook with a leading zero (capture)', args: ['run', '--model', FIXTURE_DIR, '--ids', '1,2', '--capture', 'blocks.01.mlp.hook_post'], message: /unknown hook "blocks.01.mlp.hook_post"/ },
  { name: 'hook with a leading zero (edit)', args: ['run', '--model', FIXTURE_DIR, '--ids', '1,2', '--edit', 'blocks.01.mlp.hook_post:3:zero'], message: /unknown hook "blocks.01.mlp.hook_post"/ },
  { name: 'integer flag in hexadecimal', args: ['generate', '--model', FIXTURE_DIR, '--ids', '1,2', '--max-tokens', '0x8'], message: /--max-tokens: "0x8" is not an integer/ },
  { name: 'an edit that overflows float32', args: ['run', '--model', FIXTURE_DIR, '--ids', '1,2,3', '--edit', 'blocks.0.mlp.hook_post:*:scale=1e308'], message: /the run gave NaN in the logits: the edits \(blocks.0.mlp.hook_post\[\*\] scale 1e\+308\) push values out of float32 range/ },
  { name: 'heads on a one-token context', args: ['heads', '--model', oneTokenModel()], message: /context is 1 token\(s\); the scores need sequences of at least 2/ },
];

describe('bad command-line inputs are refused with their own message', () => {
  it.each(CASES)('$name', (c) => {
    const r = cli(c.args);
    expect(r.code).not.toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(c.message);
  });
});

describe('model folders whose files are not regular files', () => {
  const folder = (make: (dir: string) => void) => {
    const dir = mkdtempSync(join(tmpdir(), 'pathlight-files-'));
    writeFileSync(join(dir, 'config.json'), readFileSync(join(FIXTURE_DIR, 'config.json')));
    make(dir);
    return dir;
  };
  it.each([
    ['weights file is a folder', (d: string) => mkdirSync(join(d, 'model.safetensors')), /model.safetensors is a folder, not a file/],
    ['weights file is a FIFO', (d: string) => execFileSync('mkfifo', [join(d, 'model.safetensors')]), /model.safetensors is a named pipe \(FIFO\), not a file: reading it would wait forever/],
    ['config.json is a folder', (d: string) => (rmSync(join(d, 'config.json')), mkdirSync(join(d, 'config.json')), copyFileSync(join(FIXTURE_DIR, 'model.safetensors'), join(d, 'model.safetensors'))), /config.json is a folder, not a file/],
  ] as const)('%s', (_name, make, message) => {
    const r = cli(['run', '--model', folder(make), '--ids', '1,2']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|EISDIR/);
  });
});

describe('long CLI work', () => {
  it('generate past the context reports progress on stderr (--progress) and states the sliding window', () => {
    const r = cli(['generate', '--model', FIXTURE_DIR, '--ids', '1,2,3', '--max-tokens', '80', '--progress']);
    expect(r.code).toBe(0);
    const lines = r.stderr.trim().split('\n');
    expect(lines[lines.length - 1]).toMatch(/^generate: 80\/80 /); // clean and edited in one batch, 80 steps
    expect(lines.length).toBeGreaterThanOrEqual(10);
    expect(r.json.clean.ids).toHaveLength(80);
    expect(r.json.window).toMatchObject({ n_ctx: 64, windowed: true });
    expect(r.json.window.note).toMatch(/only the last 64 tokens were fed/);
  });
});

describe('mean edits on the command line', () => {
  it('run --edit …:mean takes its means from the model folder’s corpus.txt and says so; without one it asks for --reference', () => {
    const r = cli(['run', '--model', 'polyglot', '--text', 'Der Hund', '--edit', 'blocks.0.mlp.hook_post:3:mean']);
    expect(r.code).toBe(0);
    expect(r.json.means_reference).toMatch(/public\/models\/polyglot\/corpus\.txt$/);
    const plain = cli(['run', '--model', 'polyglot', '--text', 'Der Hund']);
    expect(r.json.logits.data).not.toEqual(plain.json.logits.data);
    const none = cli(['run', '--model', FIXTURE_DIR, '--ids', '1,2', '--edit', 'blocks.0.mlp.hook_post:3:mean']);
    expect(none.code).toBe(1);
    expect(none.stderr).toMatch(/mean edits need a reference text: give --reference FILE/);
  });
});
