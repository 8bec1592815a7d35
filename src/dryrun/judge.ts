// Judging the objects of one dry-run request: each ExternalSecret gets the verdict the
// validating webhook would give (through the same DecisionService, on the object as the
// mutating webhook leaves it) and the mutation that webhook would make, in the words of
// admission; but only in namespaces where the caller may create ExternalSecrets (one
// SubjectAccessReview per namespace), so the endpoint reveals nothing about Vault to anyone
// the apiserver would not let apply the object anyway.
// Invariant: decisions run a bounded number at a time (shared by every request) and each
// starts on a fresh turn of the event loop, so a thousand-object body never holds the loop
// for longer than one object; a request whose signal is aborted stops deciding.
import { setImmediate as nextTurn } from 'node:timers/promises';
import type { LimitFunction } from 'p-limit';
import type { Analyzer } from '../admission/handlers.js';
import type { RemoteReview } from '../admission/subject.js';
import type { DecisionFacts, Verdict } from '../core/facts.js';
import { denialMessage, objectLabel } from '../core/message.js';
import { ESO_GROUP, type StoreKind, type VaultPathPolicy } from '../eso/types.js';
import { forbiddenMessage, type AccessReviewer, type Authorization, type Caller, type ResourceAttributes } from './access.js';
import type { PreparedEntry } from './documents.js';
import type { DryRunResult, DryRunSummary, ObjectResult } from './schemas.js';

type StoreRef = { kind: StoreKind; name: string };

/** The decision service as the dry run uses it (DecisionService is one). */
export interface Decider {
  evaluate(externalSecret: unknown, namespace: string): Promise<Verdict>;
  evaluateWith(storeRef: StoreRef, namespace: string, analyzer: Analyzer, policies?: VaultPathPolicy[]): Promise<Verdict>;
  facts(storeRef: StoreRef, namespace: string, policies?: VaultPathPolicy[]): DecisionFacts;
}

/** Where large objects are decided: admission's review worker (src/admission/reviewWorkers.ts). */
export interface LargeObjectWorker {
  parse(body: Buffer): Promise<{ ok: true; review: RemoteReview } | { ok: false; message: string }>;
}

export interface JudgeContext {
  decider: Decider;
  largeObjects: () => LargeObjectWorker;
  reviewer: AccessReviewer;
  caller: Caller;
  /** for objects that name no namespace (the `namespace` query parameter) */
  defaultNamespace: string;
  /** decisions in flight, shared by every request of the process */
  limit: LimitFunction;
  signal: AbortSignal;
}

type ExternalSecretEntry = Extract<PreparedEntry, { type: 'externalSecret' }>;

export const createAttributes = (namespace: string): ResourceAttributes => ({ group: ESO_GROUP, resource: 'externalsecrets', verb: 'create', namespace });

export async function judgeBody(batches: AsyncIterable<PreparedEntry[]>, context: JudgeContext): Promise<DryRunResult> {
  const access = new Map<string, Promise<Authorization>>();
  const mayCreateIn = (namespace: string) => {
    let answer = access.get(namespace);
    if (!answer) {
      answer = context.reviewer.authorize(context.caller, createAttributes(namespace));
      access.set(namespace, answer);
    }
    return answer;
  };
  // A body that turns out to be unreadable (too many objects) stops the decisions already queued.
  const stop = new AbortController();
  const signal = AbortSignal.any([context.signal, stop.signal]);
  const own = { ...context, signal };
  const pending: Promise<ObjectResult>[] = [];
  let results: ObjectResult[];
  try {
    for await (const batch of batches) {
      for (const entry of batch) {
        const decision = judgeEntry(entry, own, mayCreateIn);
        // Observed now: it may fail while later batches are still being read; Promise.all reports it.
        decision.catch(() => undefined);
        pending.push(decision);
      }
    }
    // An aborted request answers now; a decision already running finishes on its own (within
    // the Vault deadline) and keeps its place in the shared limit until then.
    results = await Promise.race([Promise.all(pending), rejectOnAbort(signal)]);
  } catch (error) {
    stop.abort(error);
    throw error;
  }
  return { results, summary: summarize(results) };
}

function rejectOnAbort(signal: AbortSignal): Promise<never> {
  return new Promise((_, reject) => {
    if (signal.aborted) reject(signal.reason);
    else signal.addEventListener('abort', () => reject(signal.reason), { once: true });
  });
}

async function judgeEntry(entry: PreparedEntry, context: JudgeContext, mayCreateIn: (namespace: string) => Promise<Authorization>): Promise<ObjectResult> {
  switch (entry.type) {
    case 'error':
      return { source: entry.source, outcome: 'error', message: entry.message };
    case 'skipped':
    case 'policy':
      return { ...described(entry, entry.namespace), outcome: 'skipped', message: entry.type === 'skipped' ? entry.reason : `${entry.kind} is not an ExternalSecret` };
    case 'externalSecret': {
      const namespace = entry.namespace ?? context.defaultNamespace;
      const authorization = await mayCreateIn(namespace);
      if (!authorization.allowed) {
        return { ...described(entry, namespace), outcome: 'forbidden', code: 403, message: forbiddenMessage(context.caller, createAttributes(namespace), authorization) };
      }
      const verdict = await context.limit(async () => {
        await nextTurn();
        context.signal.throwIfAborted();
        return decide(entry, namespace, context).catch((error: unknown) => {
          // One object that cannot be decided (its review worker died) is that object's error.
          if (context.signal.aborted) throw error;
          return error instanceof Error ? error : new Error(String(error));
        });
      });
      if (verdict instanceof Error) return { ...described(entry, namespace), outcome: 'error', message: `vaultgate could not decide: ${verdict.message}` };
      return verdictResult(entry, namespace, verdict);
    }
  }
}

async function decide(entry: ExternalSecretEntry, namespace: string, context: JudgeContext): Promise<Verdict> {
  if (!entry.review) return context.decider.evaluate(entry.object, namespace);
  // A large object is decided as admission decides a large AdmissionReview: in the review worker.
  const parsed = await context.largeObjects().parse(Buffer.from(entry.review));
  if (!parsed.ok) throw new Error(`review worker: ${parsed.message}`);
  try {
    return await context.decider.evaluateWith(parsed.review.header.storeRef, namespace, parsed.review.analyzer);
  } finally {
    parsed.review.release();
  }
}

function described(entry: Exclude<PreparedEntry, { type: 'error' }>, namespace: string | undefined): Pick<ObjectResult, 'source' | 'apiVersion' | 'kind' | 'namespace' | 'name'> {
  return { source: entry.source, apiVersion: entry.apiVersion, kind: entry.kind, ...(namespace ? { namespace } : {}), name: entry.name };
}

export function verdictResult(entry: ExternalSecretEntry, namespace: string, verdict: Verdict): ObjectResult {
  return {
    ...described(entry, namespace),
    outcome: verdict.allowed ? 'allowed' : 'denied',
    allowed: verdict.allowed,
    ...(verdict.allowed ? {} : { message: denialMessage(objectLabel('ExternalSecret', namespace, entry.name), verdict.violations) }),
    violations: verdict.violations,
    warnings: verdict.warnings,
    mutation: entry.mutation,
    paths: verdict.paths,
  };
}

export function summarize(results: readonly ObjectResult[]): DryRunSummary {
  const count = (outcome: ObjectResult['outcome']) => results.filter((r) => r.outcome === outcome).length;
  const summary = { allowed: count('allowed'), denied: count('denied'), forbidden: count('forbidden'), skipped: count('skipped'), errors: count('error') };
  return { objects: results.length, externalSecrets: summary.allowed + summary.denied + summary.forbidden, ...summary };
}
