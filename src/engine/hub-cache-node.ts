/**
 * Node-only: the Hugging Face cache layout, shared with Python's `huggingface_hub`, so files either downloaded are
 * reused by the other. Imported by the CLI, scripts and tests, never by the browser.
 *
 *   {cache}/models--{owner}--{name}/blobs/{etag}                 the file contents, named by ETag (sha256 for LFS files)
 *   {cache}/models--{owner}--{name}/snapshots/{commit}/{file}    a relative symlink to ../../blobs/{etag} (a copy where links fail)
 *   {cache}/models--{owner}--{name}/refs/{revision}              the commit hash a branch or tag resolved to
 *   {cache}/models--{owner}--{name}/.no_exist/{commit}/{file}    an empty file: the repository has no such file
 *
 * {cache} is HF_HUB_CACHE, else $HF_HOME/hub, else ~/.cache/huggingface/hub (XDG_CACHE_HOME replacing ~/.cache).
 */
import { copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { isCommitHash, revisionProblem, type HubRef } from './hub';

export function hubCacheDir(env: Record<string, string | undefined> = process.env): string {
  if (env.HF_HUB_CACHE) return env.HF_HUB_CACHE;
  if (env.HUGGINGFACE_HUB_CACHE) return env.HUGGINGFACE_HUB_CACHE;
  const home = env.HF_HOME ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'huggingface');
  return join(home, 'hub');
}

export function repoFolderName(ref: Pick<HubRef, 'owner' | 'name'>): string {
  return `models--${ref.owner}--${ref.name}`;
}

/** One model's folder in the cache. */
export class RepoCache {
  readonly dir: string;
  constructor(
    readonly cache: string,
    readonly ref: HubRef,
  ) {
    this.dir = join(cache, repoFolderName(ref));
  }

  /** The commit the revision stands for: the revision itself when it is a hash, else what refs/ recorded. */
  commitOf(revision = this.ref.revision): string | null {
    if (isCommitHash(revision)) return revision;
    const p = join(this.dir, 'refs', revision);
    if (!existsSync(p)) return null;
    const c = readFileSync(p, 'utf8').trim();
    // A commit folder name from the file must be one path segment (the server may give a non-hash id).
    return c && !c.includes('/') && !c.includes('\\') && c !== '.' && c !== '..' ? c : null;
  }

  writeRef(revision: string, commit: string): void {
    if (revision === commit || revisionProblem(revision)) return;
    const p = join(this.dir, 'refs', revision);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, commit);
  }

  snapshotDir(commit: string): string {
    return join(this.dir, 'snapshots', commit);
  }

  /** The file in the snapshot when it is there and readable (a symlink whose blob is missing does not count). */
  has(commit: string, file: string): boolean {
    const p = join(this.snapshotDir(commit), file);
    try {
      return statSync(p).isFile();
    } catch {
      return false;
    }
  }

  noExist(commit: string, file: string): boolean {
    return existsSync(join(this.dir, '.no_exist', commit, file));
  }

  markNoExist(commit: string, file: string): void {
    const p = join(this.dir, '.no_exist', commit, file);
    mkdirSync(dirname(p), { recursive: true });
    writeFileSync(p, '');
  }

  blobsDir(): string {
    return join(this.dir, 'blobs');
  }

  /** Moves a finished download into blobs/{etag} and links it into the snapshot. */
  commitFile(tmpPath: string, etag: string, commit: string, file: string): string {
    const blob = join(this.blobsDir(), etag);
    if (existsSync(blob)) unlinkSync(tmpPath);
    else renameSync(tmpPath, blob);
    const target = join(this.snapshotDir(commit), file);
    mkdirSync(dirname(target), { recursive: true });
    try {
      lstatSync(target);
      unlinkSync(target);
    } catch {
      // not there yet
    }
    try {
      symlinkSync(relative(dirname(target), blob), target);
    } catch {
      copyFileSync(blob, target); // file systems without symlinks (huggingface_hub copies there too)
    }
    return target;
  }
}

export interface CachedModel {
  /** `owner/name`. */
  repo: string;
  /** Revisions recorded in refs/ with their commits, and snapshot commits no ref points to. */
  revisions: Array<{ revision: string | null; commit: string }>;
  /** Bytes of every blob (what deleting frees). */
  bytes: number;
  dir: string;
}

function walk(dir: string, base = ''): string[] {
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const rel = base ? `${base}/${e.name}` : e.name;
    if (e.isDirectory()) out.push(...walk(join(dir, e.name), rel));
    else out.push(rel);
  }
  return out;
}

/** Every model in the cache (whoever downloaded it), with its size. */
export function listCachedModels(cache = hubCacheDir()): CachedModel[] {
  if (!existsSync(cache)) return [];
  const out: CachedModel[] = [];
  for (const d of readdirSync(cache).sort()) {
    const m = /^models--(.+?)--(.+)$/.exec(d);
    if (!m) continue;
    const dir = join(cache, d);
    const refs = walk(join(dir, 'refs')).map((r) => ({ revision: r, commit: readFileSync(join(dir, 'refs', r), 'utf8').trim() }));
    const snaps = existsSync(join(dir, 'snapshots')) ? readdirSync(join(dir, 'snapshots')) : [];
    const revisions: CachedModel['revisions'] = [...refs, ...snaps.filter((s) => !refs.some((r) => r.commit === s)).map((commit) => ({ revision: null, commit }))];
    const bytes = walk(join(dir, 'blobs'))
      .filter((b) => !b.endsWith('.incomplete'))
      .reduce((a, b) => a + statSync(join(dir, 'blobs', b)).size, 0);
    out.push({ repo: `${m[1]}/${m[2]}`, revisions, bytes, dir });
  }
  return out;
}

/** Deletes a model's whole folder from the cache; false when it was not there. */
export function deleteCachedModel(ref: Pick<HubRef, 'owner' | 'name'>, cache = hubCacheDir()): boolean {
  const dir = join(cache, repoFolderName(ref));
  if (!existsSync(dir)) return false;
  rmSync(dir, { recursive: true, force: true });
  return true;
}
