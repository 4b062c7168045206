/**
 * The image a vision model reads, in its own small zustand store beside the main one: the preprocessed pixels and
 * the 8-bit preview the worker made of them, where it came from (a bundled example by id, or the user's own file by
 * its SHA-256), the model's example list, per-patch values shown over the image, and the class-level analysis of the
 * examples, and the opened neuron's top-activating examples. Plain data only.
 */
import { create } from 'zustand';
import type { ClassPathsUi, PreparedImage, TopImagesUi } from '../worker/api';
import type { ClassPathMethod } from '../analysis/class-path-stats';

/** One bundled example of public/models/NAME/examples/index.json. */
export interface ImageExample {
  id: string;
  file: string;
  label: number;
  predicted: number;
}

export interface ImageInput extends PreparedImage {
  /** The file name (or the example's id) for messages. */
  name: string;
  /** The bundled example it is, or null for the user's own image. */
  exampleId: string | null;
}

/** Where the card's edits apply: the node's own position(s), every token, [CLS] (0) or one token (1 + patch). */
export type EditAt = 'node' | 'all' | number;

/** The class-level analysis (class × neuron matrix of the examples' paths, overlap within vs between classes). */
export interface ClassPathsSlice {
  classPaths: ClassPathsUi | null;
  /** The method whose matrix is shown. */
  classMethod: ClassPathMethod;
  /** Images per class; null = as many as the bundled examples hold. */
  classPerClass: number | null;
  classSteps: number;
  classPositions: 'all' | 'cls';
  classRunning: boolean;
  /** Images done of images in all, while it runs. */
  classProgress: { done: number; total: number } | null;
  classError: string | null;
}

/** The class analysis as a vision model opens. */
export const CLASS_PATHS_INITIAL: Omit<ClassPathsSlice, 'classMethod' | 'classSteps' | 'classPositions'> = { classPaths: null, classPerClass: null, classRunning: false, classProgress: null, classError: null };

export interface ImageState extends ClassPathsSlice {
  image: ImageInput | null;
  examples: ImageExample[] | null;
  /** The URL of the examples folder (ends with '/'). */
  examplesBase: string | null;
  imageError: string | null;
  /** A session names a user's image by this SHA-256: it is asked for again (null when none is awaited). */
  awaitingSha: string | null;
  /** The opened card's neuron activation at every token ([CLS], then the patches), for the overlay. */
  patchActs: { node: string; acts: Float32Array } | null;
  /** The opened card's neuron's top-activating bundled examples: result null while it is computed, error when it failed. */
  topImages: { node: string; result: TopImagesUi | null; progress: { done: number; total: number } | null; error: string | null } | null;
  editAt: EditAt;
  set: (p: Partial<ImageState>) => void;
}

export const useImage = create<ImageState>()((set) => ({
  image: null,
  examples: null,
  examplesBase: null,
  imageError: null,
  awaitingSha: null,
  patchActs: null,
  topImages: null,
  editAt: 'node',
  ...CLASS_PATHS_INITIAL,
  classMethod: 'neuronpath',
  classSteps: 20,
  classPositions: 'all',
  set: (p) => set(p),
}));
