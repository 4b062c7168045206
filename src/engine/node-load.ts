/** Node-only: opening a model folder from disk. Imported by the CLI, scripts and tests, never by the browser. */
import { open, readdir, readFile, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { ByteSource } from './bytes';
import { INDEX_FILE, parseShardIndex } from './checkpoint';
import { fail } from './errors';
import { loadModel, type LoadOptions, type Model } from './model';
import { byteLevelBpeTokenizerJson, parseVocabJson } from './tokenizer-files';

/** A file read range by range through a file handle: the whole file is never held in memory. */
export async function fileSource(path: string): Promise<ByteSource & { close(): Promise<void> }> {
  await requireFile(path);
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (e) {
    fail(fsMessage(path, e));
  }
  const { size } = await fh.stat();
  return {
    size,
    async read(offset, length) {
      const buf = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await fh.read(buf, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? buf : buf.subarray(0, got);
    },
    close: () => fh.close(),
  };
}

/** What went wrong opening or reading a file, in words (no internal error codes). */
function fsMessage(path: string, e: unknown): string {
  const code = (e as { code?: string }).code;
  if (code === 'EACCES' || code === 'EPERM') return `${path} cannot be read (permission denied)`;
  if (code === 'ENOENT') return `${path} does not exist`;
  if (code === 'EISDIR') return `${path} is a folder, not a file`;
  return `${path} could not be read: ${(e as Error).message}`;
}

/**
 * Checks that a path is a regular file before opening it: a folder, a FIFO (which would block the read forever),
 * a device or socket is refused with what it is.
 */
async function requireFile(path: string): Promise<void> {
  let st;
  try {
    st = await stat(path);
  } catch (e) {
    fail(fsMessage(path, e));
  }
  if (st.isDirectory()) fail(`${path} is a folder, not a file`);
  if (st.isFIFO()) fail(`${path} is a named pipe (FIFO), not a file: reading it would wait forever`);
  if (!st.isFile()) fail(`${path} is not a regular file (a device or socket)`);
}

/** A text file of a model folder, refused like a weights file when it is not a readable regular file. */
async function readText(path: string): Promise<string> {
  await requireFile(path);
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    fail(fsMessage(path, e));
  }
}

/** The folder of a bundled model (public/models/NAME) when `ref` is a bundled name, else `ref` itself. */
export function resolveModelDir(ref: string, root = process.cwd()): string {
  const bundled = join(root, 'public', 'models', ref);
  if (!ref.includes('/') && !ref.includes('\\') && existsSync(join(bundled, 'config.json'))) return bundled;
  return resolve(ref);
}

/** Opens a bundled model or a folder; `name` (default the folder's name) is the name the model reports. */
export async function loadModelDir(ref: string, opts: LoadOptions & { name?: string } = {}): Promise<Model> {
  const dir = resolveModelDir(ref);
  if (!existsSync(dir) || !(await stat(dir)).isDirectory()) fail(`model "${ref}": no such bundled model or folder`);
  let listing: string[];
  try {
    listing = await readdir(dir);
  } catch (e) {
    fail(`model "${ref}": the folder ${fsMessage(dir, e).slice(dir.length + 1)}`);
  }
  const cfgPath = join(dir, 'config.json');
  if (!existsSync(cfgPath)) fail(`model "${ref}": ${cfgPath} is missing`);
  const stPath = join(dir, 'model.safetensors');
  const indexPath = join(dir, INDEX_FILE);
  let names: string[];
  if (existsSync(stPath)) names = ['model.safetensors'];
  else if (existsSync(indexPath)) names = parseShardIndex(await readText(indexPath), listing);
  else fail(`model "${ref}": ${stPath} is missing (and there is no ${INDEX_FILE} of a sharded checkpoint)`);
  const tokPath = join(dir, 'tokenizer.json');
  const prePath = join(dir, 'preprocessor_config.json');
  // Without tokenizer.json, a GPT-2-style folder's vocab.json + merges.txt make the same byte-level BPE tokenizer.
  const [vocabPath, mergesPath] = [join(dir, 'vocab.json'), join(dir, 'merges.txt')];
  const bpeFiles = async () => byteLevelBpeTokenizerJson(parseVocabJson(await readText(vocabPath)), await readText(mergesPath));
  const files: Array<{ name: string; source: Awaited<ReturnType<typeof fileSource>> }> = [];
  try {
    for (const name of names) files.push({ name, source: await fileSource(join(dir, name)) });
    return await loadModel(
      {
        name: opts.name ?? basename(dir),
        config: await readText(cfgPath),
        safetensors: files,
        tokenizer: existsSync(tokPath) ? await readText(tokPath) : existsSync(vocabPath) && existsSync(mergesPath) ? await bpeFiles() : null,
        preprocessor: existsSync(prePath) ? await readText(prePath) : null,
      },
      opts,
    );
  } finally {
    for (const f of files) await f.source.close();
  }
}
