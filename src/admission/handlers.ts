// What each webhook answers for one AdmissionRequest. The validating webhook runs the
// full decision; the mutating webhook only makes defaults explicit. Requests for other
// kinds, deletes, and objects being deleted pass untouched. Both work on a Subject, so a
// large object decided in a worker thread is answered exactly like a small one.
import type { DecisionFacts, VaultAnswer, VaultRequest, Verdict } from '../core/facts.js';
import { denialMessage, objectLabel, warningLines } from '../core/message.js';
import { withDefaults } from '../core/mutate.js';
import { ESO_GROUP, type ExternalSecret } from '../eso/types.js';
import { allow, deny, patch, type AdmissionReviewReply } from './review.js';
import type { AdmissionHeader, Subject } from './subject.js';

/** The pure core, wherever it runs: given the facts, what to ask Vault, then the verdict. */
export interface Analyzer {
  analyze(facts: DecisionFacts): Promise<{ vault?: VaultRequest }>;
  decide(answers: Map<string, VaultAnswer>): Promise<Verdict>;
}

export interface Evaluator {
  evaluate(externalSecret: unknown, namespace: string): Promise<Verdict>;
  /** decides with the core running elsewhere (a worker that holds a large object) */
  evaluateWith(storeRef: { kind: 'SecretStore' | 'ClusterSecretStore'; name: string }, namespace: string, analyzer: Analyzer): Promise<Verdict>;
}

export type Outcome = { reply: AdmissionReviewReply; decision: 'allowed' | 'denied' | 'skipped' | 'patched'; reason: string };

function isExternalSecretWrite(header: AdmissionHeader): boolean {
  return header.kind.group === ESO_GROUP && header.kind.kind === 'ExternalSecret' && (header.operation === 'CREATE' || header.operation === 'UPDATE') && header.hasObject;
}

export async function validate(subject: Subject, evaluator: Evaluator): Promise<Outcome> {
  const header = subject.header;
  if (!isExternalSecretWrite(header) || header.deleting) {
    return { reply: allow(header.uid), decision: 'skipped', reason: 'not-applicable' };
  }
  // A metadata-only update (labels, the force-sync annotation, finalizers) re-checks
  // nothing: blocking it because Vault changed since would block operators, not mistakes.
  if (header.specUnchanged) {
    return { reply: allow(header.uid), decision: 'skipped', reason: 'spec-unchanged' };
  }
  const namespace = header.namespace;
  const verdict = await subject.evaluate(evaluator, namespace);
  const warnings = warningLines(verdict.warnings);
  if (verdict.allowed) {
    const reason = verdict.warnings.some((w) => w.check === 'unavailable') ? 'failed-open' : 'valid';
    return { reply: allow(header.uid, warnings), decision: 'allowed', reason };
  }
  const label = objectLabel('ExternalSecret', namespace, header.objectName || header.name);
  return {
    reply: deny(header.uid, denialMessage(label, verdict.violations), warnings),
    decision: 'denied',
    reason: verdict.violations[0]?.check ?? 'unknown',
  };
}

/** Writes an ExternalSecret's target Secret before it is stored (see src/reconcile/admissionSecrets.ts). */
export interface SecretCreator {
  create(externalSecret: ExternalSecret, namespace: string): Promise<string>;
}

export async function mutate(subject: Subject, creator?: SecretCreator): Promise<Outcome> {
  const header = subject.header;
  if (!isExternalSecretWrite(header) || header.deleting) {
    return { reply: allow(header.uid), decision: 'skipped', reason: 'not-applicable' };
  }
  const operations = await subject.defaultingPatch();
  // The Secret exists when `kubectl apply` returns: written from the defaulted object, never on a dry run.
  if (creator && header.operation === 'CREATE' && !header.dryRun && subject.object !== undefined) {
    await creator.create(withDefaults(subject.object) as ExternalSecret, header.namespace);
  }
  return {
    reply: patch(header.uid, operations),
    decision: operations.length > 0 ? 'patched' : 'allowed',
    reason: operations.length > 0 ? 'defaults' : 'no-change',
  };
}
