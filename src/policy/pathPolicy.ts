// VaultPathPolicy evaluation: may namespace N read KV path P through store S?
// Patterns are written as `vault kv get` names a path (<mount>/<key>): {namespace}
// expands to the namespace, a trailing * matches any suffix and a + segment exactly one
// segment, as in Vault ACL paths. Allows of every policy that applies add up; a matching
// deny in any of them wins. Paths are always judged cleaned (as Vault serves them), so a
// pattern is only honoured if a cleaned path can match it: the CRD refuses any other
// pattern with the same rules as patternProblems(), and one that got in anyway fails safe
// (an unusable deny denies everything it could have meant, an unusable allow allows nothing).
import type { StoreKind, VaultPathPolicy } from '../eso/types.js';
import { selectorMatches } from './labels.js';

export interface PathPolicyQuery {
  namespace: string;
  namespaceLabels: Record<string, string>;
  store: { kind: StoreKind; name: string };
  /** <mount>/<key>, as `vault kv get` shows it, already cleaned */
  kvPath: string;
}

export type PathPolicyDecision =
  | { allowed: true; policy?: string }
  | { allowed: false; policy: string; because: 'denied' | 'not-allowed' | 'no-policy' | 'invalid-pattern'; detail?: string };

/** The rules a pattern must follow; the CRD's x-kubernetes-validations say the same. */
const PATTERN_RULES: { test: (pattern: string) => boolean; message: string }[] = [
  { test: (p) => /^[^*]*[*]?$/.test(p), message: '* is only allowed at the end of a pattern' },
  { test: (p) => !/[^/][+]|[+][^/]/.test(p), message: '+ must be a whole path segment' },
  { test: (p) => !p.startsWith('/'), message: 'patterns start with the mount, without a leading /' },
  { test: (p) => !p.includes('//') && !p.endsWith('/'), message: 'patterns have no empty segments (// or a trailing /): Vault serves cleaned paths' },
  { test: (p) => !/(^|\/)\.\.?(\/|$)/.test(p), message: '. and .. segments never occur in the paths Vault serves' },
  { test: (p) => !/[{}]/.test(p.replaceAll('{namespace}', '')), message: '{namespace} is the only placeholder' },
  // eslint-disable-next-line no-control-regex
  { test: (p) => !/[%\x00-\x1f\x7f]/.test(p), message: 'patterns contain no percent-encoding or control characters' },
];

export const MAX_PATTERN_LENGTH = 512;

const problemsSeen = new Map<string, string[]>();

/** Why vaultgate cannot honour a pattern (empty when it can). */
export function patternProblems(pattern: string): string[] {
  const known = problemsSeen.get(pattern);
  if (known) return known;
  let problems: string[];
  if (pattern.length === 0) problems = ['patterns must not be empty'];
  else if (pattern.length > MAX_PATTERN_LENGTH) problems = [`patterns are at most ${MAX_PATTERN_LENGTH} characters`];
  else problems = PATTERN_RULES.filter((rule) => !rule.test(pattern)).map((rule) => rule.message);
  if (problemsSeen.size > 10_000) problemsSeen.clear();
  problemsSeen.set(pattern, problems);
  return problems;
}

/** Every unusable pattern of a policy, as "<list>[i]: message" lines. */
export function policyProblems(policy: VaultPathPolicy): string[] {
  const problems: string[] = [];
  for (const list of ['allow', 'deny'] as const) {
    (policy.spec?.[list] ?? []).forEach((pattern, i) => {
      const text = typeof pattern === 'string' ? pattern : '';
      for (const problem of typeof pattern === 'string' ? patternProblems(text) : ['must be a string']) {
        problems.push(`spec.${list}[${i}] ${JSON.stringify(text)}: ${problem}`);
      }
    });
  }
  return problems;
}

const compiled = new Map<string, RegExp>();

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** A pattern as an anchored RegExp: literal segments, [^/]+ for +, .* for a trailing *. Linear by construction. */
export function patternToRegExp(pattern: string, namespace: string): RegExp {
  const expanded = pattern.replaceAll('{namespace}', namespace);
  const cached = compiled.get(expanded);
  if (cached) return cached;
  const prefix = expanded.endsWith('*');
  const body = prefix ? expanded.slice(0, -1) : expanded;
  const source = body
    .split('/')
    .map((segment) => (segment === '+' ? '[^/]+' : escapeRegExp(segment)))
    .join('/');
  const regexp = new RegExp(`^${source}${prefix ? '.*' : ''}$`, 's');
  if (compiled.size > 10_000) compiled.clear();
  compiled.set(expanded, regexp);
  return regexp;
}

export function pathMatches(pattern: string, namespace: string, kvPath: string): boolean {
  return patternToRegExp(pattern, namespace).test(kvPath);
}

export function policyApplies(policy: VaultPathPolicy, query: Pick<PathPolicyQuery, 'namespaceLabels' | 'store'>): boolean {
  const spec = policy.spec ?? {};
  if (!selectorMatches(spec.namespaceSelector, query.namespaceLabels)) return false;
  if (Array.isArray(spec.stores) && spec.stores.length > 0) {
    return spec.stores.some((s) => s?.kind === query.store.kind && s?.name === query.store.name);
  }
  return true;
}

const policyName = (policy: VaultPathPolicy) => policy.metadata?.name ?? '(unnamed)';
const patterns = (list: unknown): string[] => (Array.isArray(list) ? list.filter((p): p is string => typeof p === 'string') : []);

interface PatternTests {
  /** does this (usable) deny pattern catch the query? the detail says how, if it helps */
  denies(pattern: string): { detail?: string } | undefined;
  allows(pattern: string): boolean;
  notAllowed?: string;
}

/**
 * The one rule both judgements share: no policy selects the namespace -> allowed unless one
 * is required; an unusable deny fails safe; a matching deny wins; then any allow.
 */
function judge(query: PathPolicyQuery, policies: readonly VaultPathPolicy[], requirePolicy: boolean, tests: PatternTests): PathPolicyDecision {
  const applicable = policies.filter((policy) => policyApplies(policy, query));
  if (applicable.length === 0) {
    return requirePolicy ? { allowed: false, policy: 'require-path-policy', because: 'no-policy' } : { allowed: true };
  }
  for (const policy of applicable) {
    for (const pattern of patterns(policy.spec?.deny)) {
      const problems = patternProblems(pattern);
      if (problems.length > 0) {
        return { allowed: false, policy: policyName(policy), because: 'invalid-pattern', detail: `deny pattern ${JSON.stringify(pattern)} is invalid (${problems.join('; ')})` };
      }
    }
  }
  for (const policy of applicable) {
    for (const pattern of patterns(policy.spec?.deny)) {
      const denied = tests.denies(pattern);
      if (denied) return { allowed: false, policy: policyName(policy), because: 'denied', ...(denied.detail ? { detail: denied.detail } : {}) };
    }
  }
  const allowing = applicable.find((policy) => patterns(policy.spec?.allow).some((p) => patternProblems(p).length === 0 && tests.allows(p)));
  if (allowing) return { allowed: true, policy: policyName(allowing) };
  return { allowed: false, policy: applicable.map(policyName).sort().join(', '), because: 'not-allowed', ...(tests.notAllowed ? { detail: tests.notAllowed } : {}) };
}

export function evaluatePathPolicy(query: PathPolicyQuery, policies: readonly VaultPathPolicy[], requirePolicy: boolean): PathPolicyDecision {
  return judge(query, policies, requirePolicy, {
    denies: (pattern) => (pathMatches(pattern, query.namespace, query.kvPath) ? {} : undefined),
    allows: (pattern) => pathMatches(pattern, query.namespace, query.kvPath),
  });
}

/** A pattern as tokens: literal characters, '+' segments, and a trailing '*'. */
type Token = { literal: string } | { segment: true } | { rest: true };

function tokens(expanded: string): Token[] {
  const out: Token[] = [];
  const rest = expanded.endsWith('*');
  const body = rest ? expanded.slice(0, -1) : expanded;
  body.split('/').forEach((segment, i) => {
    if (i > 0) out.push({ literal: '/' });
    if (segment === '+') out.push({ segment: true });
    else for (const ch of segment) out.push({ literal: ch });
  });
  if (rest) out.push({ rest: true });
  return out;
}

/**
 * Could the pattern match some path under `root` (root + "/" + anything)? Decided on the
 * pattern alone, so a find over a subtree is judged without listing Vault: the answer
 * never depends on what exists there.
 */
export function patternReachesUnder(pattern: string, namespace: string, root: string): boolean {
  const pattern_ = tokens(pattern.replaceAll('{namespace}', namespace));
  const prefix = `${root}/`;
  const seen = new Set<number>();
  const visit = (i: number, j: number): boolean => {
    if (j === prefix.length) return true; // the rest of the pattern can always be written after the prefix
    if (i === pattern_.length) return false;
    const key = i * (prefix.length + 1) + j;
    if (seen.has(key)) return false;
    seen.add(key);
    const token = pattern_[i] as Token;
    if ('rest' in token) return true;
    if ('literal' in token) return prefix[j] === token.literal && visit(i + 1, j + 1);
    for (let k = j; k < prefix.length && prefix[k] !== '/'; k++) {
      if (k + 1 === prefix.length || visit(i + 1, k + 1)) return true;
    }
    return false;
  };
  return visit(0, 0);
}

/** Does the pattern match every path under `root`? Only a trailing-* pattern can. */
export function patternCoversUnder(pattern: string, namespace: string, root: string): boolean {
  const expanded = pattern.replaceAll('{namespace}', namespace);
  if (!expanded.endsWith('*')) return false;
  const source = patternToRegExp(expanded, namespace).source.replace(/\.\*\$$/, '');
  return new RegExp(source, 's').test(`${root}/`);
}

/**
 * May the namespace read everything under `root` (a dataFrom.find's subtree)? Allowed only
 * when an allow covers the whole subtree and no deny reaches into it, so the verdict on a
 * find never reveals what exists under it.
 */
export function evaluateSubtreePolicy(query: PathPolicyQuery, policies: readonly VaultPathPolicy[], requirePolicy: boolean): PathPolicyDecision {
  const root = query.kvPath;
  return judge(query, policies, requirePolicy, {
    denies: (pattern) => (patternReachesUnder(pattern, query.namespace, root) ? { detail: `deny pattern ${JSON.stringify(pattern)} reaches under ${root}/` } : undefined),
    allows: (pattern) => patternCoversUnder(pattern, query.namespace, root),
    notAllowed: `no allow pattern covers everything under ${root}/`,
  });
}
