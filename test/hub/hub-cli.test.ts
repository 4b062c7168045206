import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixtureReference } from '../engine/arch-fixtures';
import { worstRatio } from '../engine/fixture';
import { cliAsync } from './cli-async';
import { FIXTURES, OWNER, startHubServer, type HubServer } from './hub-server';

/**
 * `--model hf:owner/name[@rev]` against a local stand-in for the hub (HF_ENDPOINT): every architecture fixture,
 * whole and sharded, downloads with progress into the Hugging Face cache layout and reopens with the server
 * stopped; each way a download fails gives its message and leaves nothing half-written in the cache.
 */
let server: HubServer;
let home: string;
const env = () => ({ HF_ENDPOINT: server.endpoint, HF_HOME: home, HF_HUB_CACHE: undefined, HUGGINGFACE_HUB_CACHE: undefined, HF_TOKEN: undefined, HF_HUB_OFFLINE: undefined });
const repoDir = (name: string) => join(home, 'hub', `models--${OWNER}--${name}`);
const REPOS = FIXTURES.flatMap((f) => [f, `${f}-sharded`]);

function runArgs(model: string, fixture: string): string[] {
  return ['run', '--model', model, '--ids', fixtureReference(fixture).input_ids.join(','), '--backend', 'cpu'];
}

function expectReference(json: any, fixture: string): void {
  expect(json, 'the command printed JSON').not.toBeNull();
  expect(worstRatio(json.logits.data, fixtureReference(fixture).logits.data)).toBeLessThanOrEqual(1);
}

/** No partial download is left: no `.incomplete` blob, and no weights in any snapshot. */
function expectNothingHalfWritten(name: string): void {
  const dir = repoDir(name);
  if (!existsSync(dir)) return;
  const blobs = existsSync(join(dir, 'blobs')) ? readdirSync(join(dir, 'blobs')) : [];
  expect(blobs.filter((b) => b.endsWith('.incomplete'))).toEqual([]);
  const snaps = existsSync(join(dir, 'snapshots')) ? readdirSync(join(dir, 'snapshots')) : [];
  for (const s of snaps) expect(readdirSync(join(dir, 'snapshots', s)).filter((f) => f.endsWith('.safetensors'))).toEqual([]);
}

beforeAll(async () => {
  server = await startHubServer({ slowMs: 5 });
  home = mkdtempSync(join(tmpdir(), 'pathlight-hf-home-'));
});

afterAll(async () => {
  await server?.close().catch(() => {});
});

describe('pathlight --model hf:owner/name (HF_ENDPOINT → a local hub)', () => {
  it.each(REPOS)('%s: downloads with progress into the Hugging Face cache layout and gives the reference logits', async (name) => {
    const fixture = name.replace(/-sharded$/, '');
    const r = await cliAsync(runArgs(`hf:${OWNER}/${name}`, fixture), env());
    expect(r.code, r.stderr).toBe(0);
    expectReference(r.json, fixture);
    expect(r.stderr).toMatch(/downloading hf:pathlight-test\/.* (model|model-00001-of-00003)\.safetensors [\d.]+\/[\d.]+ MB \([\d.]+ MB\/s\)/);
    const commit = server.commitOf(name);
    expect(readFileSync(join(repoDir(name), 'refs', 'main'), 'utf8')).toBe(commit);
    const snap = join(repoDir(name), 'snapshots', commit);
    const files = readdirSync(snap).sort();
    expect(files).toEqual(name.endsWith('-sharded') ? ['config.json', 'model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors', 'model.safetensors.index.json', 'tokenizer.json'] : ['config.json', 'model.safetensors', 'tokenizer.json']);
    for (const f of files) {
      expect(lstatSync(join(snap, f)).isSymbolicLink()).toBe(true);
      expect(readlinkSync(join(snap, f))).toMatch(/^\.\.\/\.\.\/blobs\/[0-9a-f]{40,64}$/);
    }
  });

  it('a pinned commit hash opens, a revision the repository lacks is refused', async () => {
    const commit = server.commitOf('gpt2-tiny');
    const r = await cliAsync(runArgs(`hf:${OWNER}/gpt2-tiny@${commit}`, 'gpt2-tiny'), env());
    expect(r.code, r.stderr).toBe(0);
    expectReference(r.json, 'gpt2-tiny');
    const bad = await cliAsync(runArgs(`hf:${OWNER}/gpt2-tiny@nope`, 'gpt2-tiny'), env());
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/has no revision "nope"/);
  });

  it('weights the hub redirects to its CDN (another origin) are followed, without sending HF_TOKEN there', async () => {
    const r = await cliAsync(runArgs(`hf:${OWNER}/gpt2-cdn`, 'gpt2-tiny'), { ...env(), HF_TOKEN: 'hf_test_token' });
    expect(r.code, r.stderr).toBe(0);
    expectReference(r.json, 'gpt2-tiny');
    expect(server.requests.some((q) => /^GET cdn\/blobs\/[0-9a-f]{64}\?sig=abc/.test(q))).toBe(true);
  });

  it('a download that stalls is given up after HF_HUB_DOWNLOAD_TIMEOUT seconds', async () => {
    const r = await cliAsync(runArgs(`hf:${OWNER}/stall`, 'gpt2-tiny'), { ...env(), HF_HUB_DOWNLOAD_TIMEOUT: '1' });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split('\n').pop()).toMatch(/the download of model\.safetensors stalled \(no data for 1 s after 8192 bytes\); nothing of it was kept/);
    expectNothingHalfWritten('stall');
  });

  const FAILURES: Array<[string, RegExp]> = [
    ['gated', /hf:pathlight-test\/gated@main is gated: accept its terms at http:\/\/127\.0\.0\.1:\d+\/pathlight-test\/gated while signed in, then set HF_TOKEN/],
    ['private', /the hub has no public repository pathlight-test\/private \(HTTP 401: it does not exist, or it is private or gated/],
    ['gone', /the hub has no public repository pathlight-test\/gone \(HTTP 404/],
    ['broken', /the hub had a server error on model\.safetensors \(HTTP 500\); try again later/],
    ['cdn-expired', /the hub sent model\.safetensors to its file storage at http:\/\/127\.0\.0\.1:\d+, which answered HTTP 403 \(the signed link was refused or has expired\)/],
    ['truncated', /the download of model\.safetensors was cut short \(\d+ of 550488 bytes arrived\); nothing of it was kept/],
    ['pytorch-only', /has only PyTorch weights \(pytorch_model\.bin\), which Pathlight does not read/],
  ];
  it.each(FAILURES)('%s: a clear message, and nothing half-written in the cache', async (name, message) => {
    const r = await cliAsync(runArgs(`hf:${OWNER}/${name}`, 'gpt2-tiny'), env());
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr.trim().split('\n').pop()).toMatch(message);
    expectNothingHalfWritten(name);
  });

  it('a model that cannot fit is refused with figures before its weights are requested', async () => {
    const r = await cliAsync(runArgs(`hf:${OWNER}/huge`, 'gpt2-tiny').map((a) => (a === 'cpu' ? 'wasm' : a)), env());
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/needs about [\d.]+ GB on wasm \([\d.]+ GB of float32 weights \+ [\d.]+ (GB|MB) working memory for a 128-token prompt\); that does not fit in the 4\.29 GB of the WASM heap/);
    expect(server.requests.filter((q) => q.includes('/huge/') && q.includes('.safetensors'))).toEqual([]);
  });

  it('bad names and endpoints are refused with what is wrong', async () => {
    const r1 = await cliAsync(runArgs('hf:just-a-name', 'gpt2-tiny'), env());
    expect(r1.stderr).toMatch(/is not a hub model name: give owner\/name/);
    const r2 = await cliAsync(runArgs('hf:a--b/c', 'gpt2-tiny'), env());
    expect(r2.stderr).toMatch(/may not contain "--"/);
    const r3 = await cliAsync(runArgs(`hf:${OWNER}/gpt2-tiny`, 'gpt2-tiny'), { ...env(), HF_ENDPOINT: 'ftp://x' });
    expect(r3.stderr).toMatch(/must be an http:\/\/ or https:\/\/ address/);
  });

  it('hub list shows every cached model with its size; hub models lists the curated ones', async () => {
    const r = await cliAsync(['hub', 'list'], env());
    expect(r.code, r.stderr).toBe(0);
    const repos = r.json.models.map((m: { repo: string }) => m.repo);
    for (const n of REPOS) expect(repos).toContain(`${OWNER}/${n}`);
    const tiny = r.json.models.find((m: { repo: string }) => m.repo === `${OWNER}/gpt2-tiny`);
    expect(tiny.bytes).toBeGreaterThan(550_000);
    expect(tiny.revisions).toContainEqual({ revision: 'main', commit: server.commitOf('gpt2-tiny') });
    const c = await cliAsync(['hub', 'models'], env());
    expect(c.json.models.map((m: { repo: string }) => m.repo)).toContain('EleutherAI/pythia-70m');
  });

  it('with the server stopped, every model reopens from the cache without the network', async () => {
    await server.close();
    for (const name of REPOS) {
      const fixture = name.replace(/-sharded$/, '');
      const r = await cliAsync(runArgs(`hf:${OWNER}/${name}`, fixture), env());
      expect(r.code, `${name}: ${r.stderr}`).toBe(0);
      expect(r.stderr).toBe('');
      expectReference(r.json, fixture);
    }
    const missing = await cliAsync(runArgs(`hf:${OWNER}/never-downloaded`, 'gpt2-tiny'), env());
    expect(missing.stderr).toMatch(/could not reach http:\/\/127\.0\.0\.1:\d+ for config\.json \(.*\), and the file is not in the offline cache/);
    const offline = await cliAsync(runArgs(`hf:${OWNER}/never-downloaded`, 'gpt2-tiny'), { ...env(), HF_HUB_OFFLINE: '1' });
    expect(offline.stderr).toMatch(/is not \(completely\) in the cache at .*, and HF_HUB_OFFLINE is set/);
  });

  it('files huggingface_hub (Python) downloaded are reused: blobs, snapshot symlinks, refs/main', async () => {
    const dir = join(home, 'hub', 'models--someone--from-python');
    const commit = 'c'.repeat(40);
    mkdirSync(join(dir, 'blobs'), { recursive: true });
    mkdirSync(join(dir, 'snapshots', commit), { recursive: true });
    mkdirSync(join(dir, 'refs'), { recursive: true });
    writeFileSync(join(dir, 'refs', 'main'), commit);
    for (const [file, from] of [['config.json', 'test/fixtures/pythia-tiny/config.json'], ['model.safetensors', 'test/fixtures/pythia-tiny/model.safetensors'], ['tokenizer.json', 'public/models/pythia-tiny/tokenizer.json']]) {
      const body = readFileSync(join(__dirname, '..', '..', from));
      const etag = createHash('sha256').update(body).digest('hex');
      writeFileSync(join(dir, 'blobs', etag), body);
      symlinkSync(`../../blobs/${etag}`, join(dir, 'snapshots', commit, file));
    }
    const r = await cliAsync(runArgs('hf:someone/from-python', 'pythia-tiny'), env());
    expect(r.code, r.stderr).toBe(0);
    expectReference(r.json, 'pythia-tiny');
    const rm = await cliAsync(['hub', 'rm', 'hf:someone/from-python'], env());
    expect(rm.json.deleted).toBe('hf:someone/from-python');
    expect(existsSync(dir)).toBe(false);
  });
});
