// VaultPathPolicy evaluation: may namespace N read KV path P through store S?
// Patterns are written as `vault kv get` names a path (<mount>/<key>): {namespace}
// expands to the namespace, a trailing * matches any suffix and a + segment exactly one
// segment, as in Vault ACL paths. Allows of every policy that applies add up; a matching
// deny in any of them wins.
import { selectorMatches } from '../core/labels.js';
import type { StoreKind, VaultPathPolicy } from '../eso/types.js';

export interface PathPolicyQuery {
  namespace: string;
  namespaceLabels: Record<string, string>;
  store: { kind: StoreKind; name: string };
  /** <mount>/<key>, as `vault kv get` shows it */
  kvPath: string;
}

export type PathPolicyDecision =
  | { allowed: true; policy?: string }
  | { allowed: false; policy: string; because: 'denied' | 'not-allowed' | 'no-policy' };

const compiled = new Map<string, RegExp>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function patternToRegExp(pattern: string, namespace: string): RegExp {
  const expanded = pattern.replaceAll('{namespace}', namespace);
  const cacheKey = expanded;
  const cached = compiled.get(cacheKey);
  if (cached) return cached;
  const prefix = expanded.endsWith('*');
  const body = prefix ? expanded.slice(0, -1) : expanded;
  const source = body
    .split('/')
    .map((segment) => (segment === '+' ? '[^/]+' : escapeRegExp(segment)))
    .join('/');
  const regexp = new RegExp(`^${source}${prefix ? '.*' : ''}$`);
  if (compiled.size > 10_000) compiled.clear();
  compiled.set(cacheKey, regexp);
  return regexp;
}

export function pathMatches(pattern: string, namespace: string, kvPath: string): boolean {
  return patternToRegExp(pattern, namespace).test(kvPath);
}

export function policyApplies(policy: VaultPathPolicy, query: Pick<PathPolicyQuery, 'namespaceLabels' | 'store'>): boolean {
  const spec = policy.spec ?? {};
  if (!selectorMatches(spec.namespaceSelector, query.namespaceLabels)) return false;
  if (spec.stores && spec.stores.length > 0) {
    return spec.stores.some((s) => s.kind === query.store.kind && s.name === query.store.name);
  }
  return true;
}

export function evaluatePathPolicy(
  query: PathPolicyQuery,
  policies: readonly VaultPathPolicy[],
  requirePolicy: boolean,
): PathPolicyDecision {
  const applicable = policies.filter((policy) => policyApplies(policy, query));
  if (applicable.length === 0) {
    return requirePolicy ? { allowed: false, policy: 'require-path-policy', because: 'no-policy' } : { allowed: true };
  }
  const name = (policy: VaultPathPolicy) => policy.metadata?.name ?? '(unnamed)';
  const denying = applicable.find((policy) => (policy.spec?.deny ?? []).some((p) => pathMatches(p, query.namespace, query.kvPath)));
  if (denying) return { allowed: false, policy: name(denying), because: 'denied' };
  const allowing = applicable.find((policy) => (policy.spec?.allow ?? []).some((p) => pathMatches(p, query.namespace, query.kvPath)));
  if (allowing) return { allowed: true, policy: name(allowing) };
  return { allowed: false, policy: applicable.map(name).sort().join(', '), because: 'not-allowed' };
}

/** Problems in a policy's own patterns (shown to whoever applies it, and as warnings). */
export function patternProblems(pattern: string): string | undefined {
  const star = pattern.indexOf('*');
  if (star !== -1 && star !== pattern.length - 1) return `"${pattern}": * is only allowed at the end`;
  if (pattern.split('/').some((segment) => segment.includes('+') && segment !== '+')) {
    return `"${pattern}": + must be a whole path segment`;
  }
  if (pattern.startsWith('/')) return `"${pattern}": paths start with the mount, without a leading /`;
  return undefined;
}
