/**
 * The analysis methods, listed once (tfjs-free): the attribution methods of attribute(), the path search, and
 * the patching methods over a clean/corrupted pair. The session schema, the store, the workbench's picker and
 * the CLI derive their lists and types from these.
 */
export const ATTRIBUTION_METHODS = ['act', 'grad', 'gxa', 'ig', 'ablate'] as const;
export type AttributionMethod = (typeof ATTRIBUTION_METHODS)[number];

/** Patching in the workbench: activation patching (exact), attribution patching, relevance patching. */
export const PATCHING_METHODS = ['patch_exact', 'patch_atp', 'patch_relp'] as const;
export type PatchingMethod = (typeof PATCHING_METHODS)[number];

/** Everything the workbench can run on a prompt. */
export const ANALYSIS_METHODS = ['path', ...ATTRIBUTION_METHODS, ...PATCHING_METHODS] as const;
export type AnalysisMethod = (typeof ANALYSIS_METHODS)[number];

export function isPatching(m: string): m is PatchingMethod {
  return (PATCHING_METHODS as readonly string[]).includes(m);
}
