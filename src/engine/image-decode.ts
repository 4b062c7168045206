/**
 * PNG and JPEG bytes → 8-bit pixels, height × width × channels (interleaved, row-major), by pure-JS decoders
 * (fast-png, jpeg-js), so the browser worker and the CLI decode an image with the same code. Palette PNGs become
 * RGB (RGBA with transparency); 16-bit PNGs are refused (vision processors take 8-bit images).
 */
import { convertIndexedToRgb, decode as decodePng, hasPngSignature } from 'fast-png';
import * as jpegJs from 'jpeg-js';
import { PathlightError, fail } from './errors';

/** Decoded 8-bit pixels: data[(y·width + x)·channels + c]. */
export interface RawImage {
  width: number;
  height: number;
  channels: number;
  data: Uint8Array;
}

/** What the channels of an image are called, for messages. */
export function channelNames(channels: number): string {
  return ({ 1: 'grayscale', 2: 'grayscale + alpha', 3: 'RGB', 4: 'RGBA' } as Record<number, string>)[channels] ?? `${channels} channels`;
}

// jpeg-js is CommonJS: its functions sit on the namespace or on its default export, depending on the loader.
const jpegDecode: typeof jpegJs.decode = (jpegJs as unknown as { decode?: typeof jpegJs.decode }).decode ?? (jpegJs as unknown as { default: typeof jpegJs }).default.decode;

const isJpeg = (b: Uint8Array) => b.length >= 3 && b[0] === 0xff && b[1] === 0xd8 && b[2] === 0xff;

/** Decodes a PNG or JPEG (told apart by their signatures); `name` is used in messages. */
export function decodeImage(bytes: Uint8Array, name = 'the image'): RawImage {
  if (bytes.length === 0) fail(`${name} is empty`);
  if (hasPngSignature(bytes)) return decodePngBytes(bytes, name);
  if (isJpeg(bytes)) return decodeJpegBytes(bytes, name);
  return fail(`${name} is not a PNG or JPEG image (its first bytes are neither signature)`);
}

function decodePngBytes(bytes: Uint8Array, name: string): RawImage {
  let png;
  try {
    png = decodePng(bytes);
  } catch (e) {
    fail(`${name} is a corrupt PNG: ${(e as Error).message}`);
  }
  if (png.depth === 16) fail(`${name} is a 16-bit PNG; only 8-bit images are taken (save it with 8 bits per channel)`);
  let data: Uint8Array;
  let channels = png.channels;
  if (png.palette) {
    data = Uint8Array.from(convertIndexedToRgb(png));
    channels = data.length / (png.width * png.height);
  } else if (png.depth !== 8 && png.data.length !== png.width * png.height * channels) {
    // 1-, 2- and 4-bit grayscale: fast-png leaves the samples packed; spread them to 0..255.
    data = unpackBits(png.data as Uint8Array, png.width, png.height, channels, png.depth);
  } else {
    data = png.data instanceof Uint8Array ? png.data : Uint8Array.from(png.data);
  }
  if (data.length !== png.width * png.height * channels) fail(`${name} is a corrupt PNG: ${data.length} samples for ${png.width}×${png.height}×${channels}`);
  return { width: png.width, height: png.height, channels, data };
}

function unpackBits(packed: Uint8Array, width: number, height: number, channels: number, depth: number): Uint8Array {
  const out = new Uint8Array(width * height * channels);
  const rowBytes = Math.ceil((width * channels * depth) / 8);
  const max = (1 << depth) - 1;
  for (let y = 0; y < height; y++) {
    for (let i = 0; i < width * channels; i++) {
      const bit = i * depth;
      const byte = packed[y * rowBytes + (bit >> 3)];
      const v = (byte >> (8 - depth - (bit & 7))) & max;
      out[y * width * channels + i] = Math.round((v * 255) / max);
    }
  }
  return out;
}

function decodeJpegBytes(bytes: Uint8Array, name: string): RawImage {
  let img;
  try {
    img = jpegDecode(bytes, { useTArray: true, formatAsRGBA: false });
  } catch (e) {
    if (e instanceof PathlightError) throw e;
    fail(`${name} is a corrupt JPEG: ${(e as Error).message}`);
  }
  const n = img.width * img.height;
  if (n === 0 || img.data.length % n !== 0) fail(`${name} is a corrupt JPEG: ${img.data.length} samples for ${img.width}×${img.height} pixels`);
  return { width: img.width, height: img.height, channels: img.data.length / n, data: img.data };
}
