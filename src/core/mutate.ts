// Defaults made explicit at admission, so what is stored is what runs. The patch is
// computed from the defaulted copy, which makes a second invocation produce no patch.
// Anything of the wrong shape is left alone for validation to report.
import fastJsonPatch from 'fast-json-patch';
import type { ExternalSecret } from '../eso/types.js';
import type { JsonPatchOperation } from './facts.js';

export const DEFAULTS = {
  creationPolicy: 'Owner',
  deletionPolicy: 'Retain',
  refreshInterval: '1h',
} as const;

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function withDefaults<T>(es: T): T {
  const copy = structuredClone(es);
  if (!isObject(copy) || !isObject(copy.spec)) return copy;
  const spec = copy.spec as NonNullable<ExternalSecret['spec']> & Record<string, unknown>;
  if (spec.target !== undefined && !isObject(spec.target)) return copy;
  spec.refreshInterval ??= DEFAULTS.refreshInterval;
  spec.target ??= {};
  const name = isObject(copy.metadata) ? copy.metadata.name : undefined;
  if (spec.target.name === undefined && typeof name === 'string' && name) spec.target.name = name;
  spec.target.creationPolicy ??= DEFAULTS.creationPolicy;
  spec.target.deletionPolicy ??= DEFAULTS.deletionPolicy;
  return copy;
}

export function defaultingPatch(es: unknown): JsonPatchOperation[] {
  if (!isObject(es)) return [];
  return fastJsonPatch.compare(es, withDefaults(es)) as JsonPatchOperation[];
}
