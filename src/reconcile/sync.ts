// One sync of one ExternalSecret, decided without I/O: the decision core's verdict on the
// facts read, then ESO's data assembly and creation/deletion policies on the values read,
// giving what to do with the target Secret and what status to report. The reconciler and
// the mutating webhook (Secret creation at admission) both act on this, so the Secret they
// write is the same.
import type { Analysis, Verdict } from '../core/facts.js';
import {
  assembleProviderData,
  findMap,
  getMetadata,
  getSecret,
  getSecretMap,
  processDataFromMap,
  processDataValue,
  type ProviderData,
  type ProviderMap,
  type ProviderValue,
} from '../core/esoValues.js';
import { emptySecret, planSecret, secretChanged, targetName, type SecretState, type TemplateSources } from '../core/secretPlan.js';
import { newEvaluationBudget, type EvaluationBudget } from '../core/goTemplate.js';
import type { ExternalSecret } from '../eso/types.js';
import type { ValueAnswer } from '../vault/gateway.js';

export type SyncDecision =
  /** the decision core denies the mapping now (policy, capability, existence): the Secret is kept */
  | { kind: 'denied'; verdict: Verdict }
  /** ESO would fail: condition message, event message, whether ESO retries */
  | { kind: 'failed'; reason: string; message: string; retry: boolean; unsupported?: boolean }
  | { kind: 'create'; secret: SecretState; missing: string[] }
  | { kind: 'update'; secret: SecretState; missing: string[] }
  | { kind: 'unchanged'; secret: SecretState; missing: string[] }
  /** empty data under deletionPolicy Delete with an owned Secret */
  | { kind: 'delete'; missing: string[] }
  /** nothing to write; Ready=True with this reason and message */
  | { kind: 'done'; reason: string; message: string; missing: string[] };

const unreadable = (answer: ValueAnswer | undefined): ProviderValue & ProviderMap & { ok: false } => ({
  ok: false,
  noSecret: false,
  message: answer?.error ?? (answer?.answer.state === 'failed' || answer?.answer.state === 'unavailable' ? answer.answer.reason : 'Vault gave no value'),
});

function valueOf(answer: ValueAnswer | undefined, property: string): ProviderValue {
  const payload = answer?.payload;
  if (payload?.kind === 'read') return getSecret(payload.data, property);
  if (payload?.kind === 'metadata') return getMetadata(payload.custom, property);
  return unreadable(answer);
}

/** Every entry's value (or ESO's error), from the answers the Vault adapter read. */
export function providerData(es: ExternalSecret, analysis: Analysis, values: Map<string, ValueAnswer>, budget: EvaluationBudget = newEvaluationBudget()): ProviderData {
  const entries = analysis.entries ?? { data: {}, dataFrom: {} };
  const unsupported = (what: string): ProviderMap => ({ ok: false, noSecret: false, message: `${what} is not supported by vaultgate's reconciler`, unsupported: true });
  const data = (es.spec?.data ?? []).map((entry, i) => {
    if (entry.sourceRef) return unsupported('sourceRef') as ProviderValue;
    const answer = values.get(entries.data[i] ?? '');
    return processDataValue(valueOf(answer, entry.remoteRef?.property ?? ''), entry.remoteRef?.decodingStrategy);
  });
  const dataFrom = (es.spec?.dataFrom ?? []).map((entry, i): ProviderMap => {
    if (entry.sourceRef) return unsupported('sourceRef (generators)');
    const answer = values.get(entries.dataFrom[i] ?? '');
    if (entry.find) {
      const fetched: ProviderMap = answer?.payload?.kind === 'find' ? findMap(answer.payload.matches) : (unreadable(answer) as ProviderMap);
      return processDataFromMap(fetched, entry.rewrite, entry.find.conversionStrategy, entry.find.decodingStrategy, budget);
    }
    const extract = entry.extract ?? {};
    return processDataFromMap(getSecretMap(valueOf(answer, extract.property ?? '')), entry.rewrite, extract.conversionStrategy, extract.decodingStrategy, budget);
  });
  return { data, dataFrom };
}

export interface SyncInput {
  es: ExternalSecret;
  analysis: Analysis;
  values: Map<string, ValueAnswer>;
  /** the target Secret as it is, undefined when there is none */
  current: SecretState | undefined;
  sources: TemplateSources;
}

export function decideSync({ es, analysis, values, current, sources }: SyncInput): SyncDecision {
  const verdict = analysis.decide(new Map([...values].map(([id, value]) => [id, value.answer])));
  if (!verdict.allowed) return { kind: 'denied', verdict };

  // Everything one sync evaluates (rewrites, templates) shares one budget: many keys cannot multiply it.
  const budget = newEvaluationBudget();
  const assembled = assembleProviderData(es, providerData(es, analysis, values, budget));
  if (!assembled.ok) {
    return { kind: 'failed', reason: 'could not get secret data from provider', message: assembled.message, retry: true, ...(assembled.unsupported ? { unsupported: true } : {}) };
  }
  const { data, missing } = assembled;
  const creation = es.spec?.target?.creationPolicy ?? 'Owner';
  const deletion = es.spec?.target?.deletionPolicy ?? 'Retain';

  if (Object.keys(data).length === 0) {
    if (deletion === 'Retain') return { kind: 'done', reason: 'SecretSynced', message: 'secret retained due to DeletionPolicy=Retain', missing };
    if (deletion === 'Delete') {
      if (creation !== 'Owner') {
        return { kind: 'failed', reason: 'could not delete secret', message: `unable to delete secret ${targetName(es)}: creationPolicy=${creation} is not Owner`, retry: false };
      }
      return current ? { kind: 'delete', missing } : { kind: 'done', reason: 'SecretDeleted', message: 'secret deleted due to DeletionPolicy=Delete', missing };
    }
  }

  if (creation === 'None') return { kind: 'done', reason: 'SecretSynced', message: 'secret synced', missing };
  if (creation === 'Merge' && !current) return { kind: 'done', reason: 'SecretMissing', message: 'secret will not be created due to CreationPolicy=Merge', missing };

  const base = current ?? emptySecret(es);
  if (current?.immutable && !isImmutableCompatible(es, current, data, sources, budget)) {
    return { kind: 'failed', reason: 'could not update secret, target is immutable', message: `unable to update secret ${current.name}: secret is immutable`, retry: false };
  }
  const plan = planSecret(es, base, data, sources, budget);
  if (!plan.ok) return { kind: 'failed', reason: plan.reason, message: current ? `unable to mutate secret ${current.name}: ${plan.message}` : plan.message, retry: plan.retry, ...(plan.unsupported ? { unsupported: true } : {}) };
  if (!current) return { kind: 'create', secret: plan.secret, missing };
  return secretChanged(current, plan.secret) ? { kind: 'update', secret: plan.secret, missing } : { kind: 'unchanged', secret: plan.secret, missing };
}

/** An immutable Secret can only be "updated" to what it already is. */
function isImmutableCompatible(es: ExternalSecret, current: SecretState, data: Record<string, Uint8Array>, sources: TemplateSources, budget: EvaluationBudget): boolean {
  const plan = planSecret(es, { ...current, immutable: false }, data, sources, budget);
  return plan.ok && !secretChanged({ ...current, immutable: plan.secret.immutable }, plan.secret);
}
