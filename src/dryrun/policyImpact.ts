// "If these VaultPathPolicies were applied, which existing ExternalSecrets would they deny,
// and which would they let through?" Every ExternalSecret in the cluster is decided twice by
// the same DecisionService, once with the policies as they are and once with each candidate
// in place of the policy of its name; only the difference is reported, in admission's words.
// An ExternalSecret that neither a candidate nor the policy it replaces selects
// (policyApplies, the selection the decision itself uses) cannot change and is not
// re-decided. Invariant: bounded like a dry run (objects listed, decisions in flight, the
// request's deadline); a partial answer is never given as a whole one.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LimitFunction } from 'p-limit';
import { storeRefOf } from '../core/decide.js';
import type { Finding, Lookup, Verdict } from '../core/facts.js';
import { denialMessage, objectLabel } from '../core/message.js';
import type { ExternalSecret, VaultPathPolicy } from '../eso/types.js';
import type { ExternalSecretLister } from '../kube/externalSecrets.js';
import { policyApplies, policyProblems } from '../policy/pathPolicy.js';
import { localAnalyzer } from '../decision/service.js';
import type { Decider } from './judge.js';
import type { PolicyImpactResult } from './schemas.js';

export interface PolicySource {
  pathPolicies(): Lookup<VaultPathPolicy[]>;
}

export interface ImpactContext {
  decider: Decider;
  policies: PolicySource;
  externalSecrets: ExternalSecretLister;
  maxExternalSecrets: number;
  limit: LimitFunction;
  signal: AbortSignal;
}

/** The candidate cannot be judged against (it is not a usable VaultPathPolicy): a 400. */
export class CandidateRejected extends Error {
  readonly statusCode = 400;
}

/** What the current policies are cannot be known right now: a 503. */
export class ImpactUnavailable extends Error {
  readonly statusCode = 503;
}

const nameOf = (policy: VaultPathPolicy) => policy.metadata?.name ?? '';
const findingKey = (finding: Finding) => `${finding.field}\u0000${finding.message}`;
const without = (findings: Finding[], others: Finding[]) => {
  const known = new Set(others.map(findingKey));
  return findings.filter((finding) => !known.has(findingKey(finding)));
};

/** Why vaultgate would not accept a candidate (the CRD refuses the same patterns). */
export function candidateProblems(candidate: VaultPathPolicy): string[] {
  const problems: string[] = [];
  if (!nameOf(candidate)) problems.push('metadata.name is required');
  if (candidate.metadata?.namespace) problems.push('metadata.namespace: VaultPathPolicies are cluster-scoped');
  return [...problems, ...policyProblems(candidate)];
}

function rejectUnusable(candidates: readonly VaultPathPolicy[]): void {
  const refusals = candidates.flatMap((candidate) => {
    const problems = candidateProblems(candidate);
    return problems.length > 0 ? [`VaultPathPolicy ${JSON.stringify(nameOf(candidate))} would be refused:\n  ${problems.join('\n  ')}`] : [];
  });
  const names = candidates.map(nameOf);
  const twice = names.filter((name, i) => name && names.indexOf(name) !== i);
  if (twice.length > 0) refusals.push(`VaultPathPolicy ${JSON.stringify(twice[0])} is given more than once`);
  if (refusals.length > 0) throw new CandidateRejected(refusals.join('\n'));
}

export async function policyImpact(candidates: readonly VaultPathPolicy[], context: ImpactContext): Promise<PolicyImpactResult> {
  rejectUnusable(candidates);
  const current = context.policies.pathPolicies();
  if (current.state !== 'ok') {
    throw new ImpactUnavailable(`the current VaultPathPolicies are not known: ${current.state === 'missing' ? 'VaultPathPolicy API not installed' : current.reason}`);
  }
  const names = new Set(candidates.map(nameOf));
  const replaced = current.value.filter((policy) => names.has(nameOf(policy)));
  const proposed = [...current.value.filter((policy) => !names.has(nameOf(policy))), ...candidates];
  const selectors = [...replaced, ...candidates];
  const externalSecrets = await context.externalSecrets.list(context.maxExternalSecrets, context.signal);

  const result: PolicyImpactResult = {
    policies: candidates.map((candidate) => ({ name: nameOf(candidate), change: replaced.some((policy) => nameOf(policy) === nameOf(candidate)) ? 'changed' : 'created' })),
    newlyDenied: [],
    newlyAllowed: [],
    summary: { externalSecrets: externalSecrets.length, reconsidered: 0, newlyDenied: 0, newlyAllowed: 0 },
  };
  await Promise.all(
    externalSecrets.map((externalSecret) =>
      context.limit(async () => {
        await nextTurn();
        context.signal.throwIfAborted();
        const namespace = externalSecret.metadata?.namespace ?? '';
        const storeRef = storeRefOf(externalSecret);
        const labels = context.decider.facts(storeRef, namespace).namespaceLabels;
        // Labels that cannot be read: re-decide, and let the verdicts say what is unknown.
        if (labels.state === 'ok' && !selectors.some((policy) => policyApplies(policy, { namespaceLabels: labels.value, store: storeRef }))) return;
        result.summary.reconsidered++;
        const [before, after] = await Promise.all([decideWith(context, externalSecret, current.value), decideWith(context, externalSecret, proposed)]);
        record(result, externalSecret, namespace, before, after);
      }),
    ),
  );
  const byName = (a: { namespace: string; name: string }, b: { namespace: string; name: string }) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name);
  result.newlyDenied.sort(byName);
  result.newlyAllowed.sort(byName);
  result.summary.newlyDenied = result.newlyDenied.length;
  result.summary.newlyAllowed = result.newlyAllowed.length;
  return result;
}

function decideWith(context: ImpactContext, externalSecret: ExternalSecret, policies: VaultPathPolicy[]): Promise<Verdict> {
  return context.decider.evaluateWith(storeRefOf(externalSecret), externalSecret.metadata?.namespace ?? '', localAnalyzer(externalSecret), policies);
}

function record(result: PolicyImpactResult, externalSecret: ExternalSecret, namespace: string, before: Verdict, after: Verdict): void {
  const name = externalSecret.metadata?.name ?? '';
  const store = storeRefOf(externalSecret);
  if (before.allowed && !after.allowed) {
    result.newlyDenied.push({
      namespace,
      name,
      store,
      violations: without(after.violations, before.violations),
      message: denialMessage(objectLabel('ExternalSecret', namespace, name), after.violations),
    });
  } else if (!before.allowed && after.allowed) {
    result.newlyAllowed.push({ namespace, name, store, resolved: without(before.violations, after.violations) });
  }
}
