// Defaults made explicit at admission, so what is stored is what runs. The patch is
// computed from the defaulted copy, which makes a second invocation produce no patch.
import fastJsonPatch from 'fast-json-patch';
import type { ExternalSecret } from '../eso/types.js';
import type { JsonPatchOperation } from './facts.js';

export const DEFAULTS = {
  creationPolicy: 'Owner',
  deletionPolicy: 'Retain',
  refreshInterval: '1h',
} as const;

export function withDefaults(es: ExternalSecret): ExternalSecret {
  const copy = structuredClone(es);
  if (!copy.spec) return copy;
  const spec = copy.spec;
  spec.refreshInterval ??= DEFAULTS.refreshInterval;
  spec.target ??= {};
  const name = copy.metadata?.name;
  if (spec.target.name === undefined && name) spec.target.name = name;
  spec.target.creationPolicy ??= DEFAULTS.creationPolicy;
  spec.target.deletionPolicy ??= DEFAULTS.deletionPolicy;
  return copy;
}

export function defaultingPatch(es: ExternalSecret): JsonPatchOperation[] {
  return fastJsonPatch.compare(es, withDefaults(es)) as JsonPatchOperation[];
}
