import * as tf from '@tensorflow/tfjs';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { decodeImage } from '../../src/engine/image-decode';
import { parseImageProcessor, preprocessImage } from '../../src/engine/image-preprocess';
import { loadModelDir } from '../../src/engine/node-load';
import { runModel } from '../../src/engine/run';
import type { Model } from '../../src/engine/model';
import { VIT_DIR } from '../engine/vit-fixture';
import { cliAsync } from './cli-async';
import { DEIT_PREPROCESSOR, OWNER, startHubServer, type HubServer } from './hub-server';

/**
 * A vision model by `hf:owner/name` from the local stand-in for the hub: the vit-tiny classifier with a DeiT-style
 * preprocessor_config.json (resize 40 bicubic, center crop 32, ImageNet mean and std) is downloaded without a
 * tokenizer into the Hugging Face cache, preprocesses `--image` as DeiTImageProcessor does (the pixel values of real
 * PIL for that image, test/fixtures/pil-reference), and reopens with the server stopped; without the file, the
 * processor's defaults; a cache that does not know whether the file exists is refused offline.
 */
const ROOT = join(__dirname, '..', '..');
const IMAGE = join(ROOT, 'test', 'fixtures', 'pil-reference', 'rgb-23x17.png');
const pil = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'pil-reference', 'reference.json'), 'utf8'));
const deitUp = pil.pipelines.find((p: { case: string }) => p.case === 'deit-up');

let server: HubServer;
let home: string;
let model: Model;
const env = () => ({ HF_ENDPOINT: server.endpoint, HF_HOME: home, HF_HUB_CACHE: undefined, HUGGINGFACE_HUB_CACHE: undefined, HF_TOKEN: undefined, HF_HUB_OFFLINE: undefined });
const repoDir = (name: string) => join(home, 'hub', `models--${OWNER}--${name}`);
const run = (name: string) => cliAsync(['run', '--model', `hf:${OWNER}/${name}`, '--image', IMAGE, '--backend', 'cpu'], env());

/** The model's logits on pixel values [3, 32, 32], in this process on the cpu backend (the CLI's backend here). */
async function logitsOf(data: Float32Array): Promise<number[]> {
  const res = await runModel(model, { pixelValues: { shape: [1, 3, 32, 32], data } });
  return Array.from(res.logits!.data);
}
const worst = (a: number[], b: number[]) => Math.max(...a.map((x, i) => Math.abs(x - b[i])));

beforeAll(async () => {
  server = await startHubServer();
  home = mkdtempSync(join(tmpdir(), 'pathlight-hf-vision-'));
  await tf.setBackend('cpu');
  await tf.ready();
  model = await loadModelDir(VIT_DIR);
});

afterAll(async () => {
  model?.dispose();
  await server?.close().catch(() => {});
  rmSync(home, { recursive: true, force: true });
});

describe('pathlight --model hf:owner/name on a vision model', () => {
  let deitLogits: number[];

  it('vit-deit: downloads config, weights and preprocessor_config.json (no tokenizer) and preprocesses as DeiTImageProcessor', async () => {
    const r = await run('vit-deit');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.preprocess).toEqual({
      processor: 'DeiTImageProcessor',
      resize: { height: 40, width: 40, resample: 3, filter: 'BICUBIC' },
      center_crop: { height: 32, width: 32 },
      rescale: 1 / 255,
      normalize: { mean: DEIT_PREPROCESSOR.image_mean, std: DEIT_PREPROCESSOR.image_std },
    });
    expect(r.json.logits.shape).toEqual([10]);
    // The logits of the pixel values real PIL gives for this image under these settings.
    const want = await logitsOf(new Float32Array(new Uint8Array(Buffer.from(deitUp.pixel_values.f32, 'base64')).buffer));
    expect(worst(r.json.logits.data, want)).toBeLessThanOrEqual(1e-5);
    // …and not those of ViT's preprocessing (bilinear straight to 32×32), which the check would otherwise not tell apart.
    const vit = preprocessImage(decodeImage(new Uint8Array(readFileSync(IMAGE))), { ...model.config.vision!, preprocess: parseImageProcessor({ ...DEIT_PREPROCESSOR, feature_extractor_type: 'ViTFeatureExtractor', size: 32 }, model.config.vision!) });
    expect(worst(r.json.logits.data, await logitsOf(vit.data))).toBeGreaterThan(1e-3);
    deitLogits = r.json.logits.data;

    const commit = server.commitOf('vit-deit');
    const snap = join(repoDir('vit-deit'), 'snapshots', commit);
    expect(readdirSync(snap).sort()).toEqual(['config.json', 'model.safetensors', 'preprocessor_config.json']);
    for (const f of readdirSync(snap)) expect(lstatSync(join(snap, f)).isSymbolicLink()).toBe(true);
    expect(JSON.parse(readFileSync(join(snap, 'preprocessor_config.json'), 'utf8'))).toEqual(DEIT_PREPROCESSOR);
    const asked = server.requests.filter((q) => q.includes('/vit-deit/'));
    expect(asked.some((q) => q.endsWith('/preprocessor_config.json'))).toBe(true);
    expect(asked.filter((q) => /\/(tokenizer\.json|vocab\.json|merges\.txt)$/.test(q))).toEqual([]);
  });

  it('vit-nopre: a repository without preprocessor_config.json gets ViTImageProcessor\'s defaults, and the absence is cached', async () => {
    const r = await run('vit-nopre');
    expect(r.code, r.stderr).toBe(0);
    expect(r.json.preprocess).toMatchObject({ processor: 'ViTImageProcessor', resize: { height: 32, width: 32, resample: 2, filter: 'BILINEAR' }, center_crop: null });
    const commit = server.commitOf('vit-nopre');
    expect(existsSync(join(repoDir('vit-nopre'), '.no_exist', commit, 'preprocessor_config.json'))).toBe(true);
    expect(readdirSync(join(repoDir('vit-nopre'), 'snapshots', commit)).sort()).toEqual(['config.json', 'model.safetensors']);
  });

  it('with the server stopped both reopen from the cache with the same preprocessing; a cache that lacks the file is refused', async () => {
    const before = server.requests.length;
    await server.close();
    const deit = await run('vit-deit');
    expect(deit.code, deit.stderr).toBe(0);
    expect(deit.stderr).toBe('');
    expect(deit.json.preprocess.processor).toBe('DeiTImageProcessor');
    expect(deit.json.logits.data).toEqual(deitLogits);
    const plain = await run('vit-nopre');
    expect(plain.code, plain.stderr).toBe(0);
    expect(plain.json.preprocess.processor).toBe('ViTImageProcessor');
    expect(server.requests.length).toBe(before);
    // A snapshot without preprocessor_config.json and no record that the repository lacks it (a partial download by
    // another tool): the hub cannot be asked, and guessed defaults could be wrong.
    rmSync(join(repoDir('vit-deit'), 'snapshots', server.commitOf('vit-deit'), 'preprocessor_config.json'));
    const gone = await run('vit-deit');
    expect(gone.code).toBe(1);
    expect(gone.stderr.trim().split('\n').pop()).toMatch(/hf:pathlight-test\/vit-deit@main: preprocessor_config\.json is not in the cache at .* and the hub cannot be asked; without it the image preprocessing is not known/);
    const offline = await cliAsync(['run', '--model', `hf:${OWNER}/vit-deit`, '--image', IMAGE, '--backend', 'cpu'], { ...env(), HF_HUB_OFFLINE: '1' });
    expect(offline.stderr).toMatch(/preprocessor_config\.json is not in the cache at .* \(HF_HUB_OFFLINE is set\)/);
  });
});
