/** Node-only: an image file → a vision model's pixel values, by the same decoding and preprocessing as the browser. */
import { readFile, stat } from 'node:fs/promises';
import { fail } from './errors';
import { decodeImage } from './image-decode';
import { preprocessImage } from './image-preprocess';
import type { PixelValues } from './inputs';
import type { ModelConfig } from './types';

/** Reads a PNG or JPEG file and preprocesses it for `cfg` (a vision model); messages name the file. */
export async function loadImageFile(path: string, cfg: ModelConfig): Promise<PixelValues> {
  if (!cfg.vision) fail(`--image: this ${cfg.modelType} model reads text, not images`);
  let bytes: Uint8Array;
  try {
    if (!(await stat(path)).isFile()) fail(`${path} is not a regular file`);
    bytes = new Uint8Array(await readFile(path));
  } catch (e) {
    if ((e as { code?: string }).code === 'ENOENT') fail(`${path} does not exist`);
    throw e;
  }
  return preprocessImage(decodeImage(bytes, path), cfg.vision, path);
}
