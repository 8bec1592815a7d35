// What each webhook answers for one AdmissionRequest. The validating webhook runs the
// full decision; the mutating webhook only makes defaults explicit. Requests for other
// kinds, deletes, and objects being deleted pass untouched.
import { isDeepStrictEqual } from 'node:util';
import type { Verdict } from '../core/facts.js';
import { denialMessage, objectLabel, warningLines } from '../core/message.js';
import { defaultingPatch } from '../core/mutate.js';
import { ESO_GROUP } from '../eso/types.js';
import { allow, deny, patch, type AdmissionRequest, type AdmissionReviewReply } from './review.js';

export interface Evaluator {
  evaluate(externalSecret: NonNullable<AdmissionRequest['object']>, namespace: string): Promise<Verdict>;
}

export type Outcome = { reply: AdmissionReviewReply; decision: 'allowed' | 'denied' | 'skipped' | 'patched'; reason: string };

function isExternalSecretWrite(request: AdmissionRequest): boolean {
  return (
    request.kind.group === ESO_GROUP &&
    request.kind.kind === 'ExternalSecret' &&
    (request.operation === 'CREATE' || request.operation === 'UPDATE') &&
    request.object !== undefined
  );
}

function isBeingDeleted(request: AdmissionRequest): boolean {
  return Boolean((request.object?.metadata as { deletionTimestamp?: string } | undefined)?.deletionTimestamp);
}

export async function validate(request: AdmissionRequest, evaluator: Evaluator): Promise<Outcome> {
  if (!isExternalSecretWrite(request) || isBeingDeleted(request)) {
    return { reply: allow(request.uid), decision: 'skipped', reason: 'not-applicable' };
  }
  // A metadata-only update (labels, the force-sync annotation, finalizers) re-checks
  // nothing: blocking it because Vault changed since would block operators, not mistakes.
  if (request.operation === 'UPDATE' && isDeepStrictEqual(request.object?.spec, request.oldObject?.spec)) {
    return { reply: allow(request.uid), decision: 'skipped', reason: 'spec-unchanged' };
  }
  const object = request.object ?? {};
  const namespace = request.namespace || object.metadata?.namespace || '';
  const verdict = await evaluator.evaluate(object, namespace);
  const warnings = warningLines(verdict.warnings);
  if (verdict.allowed) {
    const reason = verdict.warnings.some((w) => w.check === 'unavailable') ? 'failed-open' : 'valid';
    return { reply: allow(request.uid, warnings), decision: 'allowed', reason };
  }
  const label = objectLabel('ExternalSecret', namespace, object.metadata?.name || request.name);
  return {
    reply: deny(request.uid, denialMessage(label, verdict.violations), warnings),
    decision: 'denied',
    reason: verdict.violations[0]?.check ?? 'unknown',
  };
}

export function mutate(request: AdmissionRequest): Outcome {
  if (!isExternalSecretWrite(request) || isBeingDeleted(request)) {
    return { reply: allow(request.uid), decision: 'skipped', reason: 'not-applicable' };
  }
  const operations = defaultingPatch(request.object ?? {});
  return {
    reply: patch(request.uid, operations),
    decision: operations.length > 0 ? 'patched' : 'allowed',
    reason: operations.length > 0 ? 'defaults' : 'no-change',
  };
}
