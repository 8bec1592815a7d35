// What a webhook decides about, wherever the object lives. A small AdmissionReview is
// parsed and decided on the event loop; a large one (up to the few megabytes the apiserver
// sends) is parsed, analysed and defaulted in a worker thread that holds the object, so a
// tenant's 1 MB ExternalSecret never stalls every other admission. Both answer the same
// questions through the same pure core; only where it runs differs.
import { isDeepStrictEqual } from 'node:util';
import { storeRefOf } from '../core/decide.js';
import type { JsonPatchOperation, Verdict } from '../core/facts.js';
import { defaultingPatch } from '../core/mutate.js';
import type { AdmissionRequest } from './review.js';
import type { Analyzer, Evaluator } from './handlers.js';

/** The request without its objects: what a webhook needs to know before deciding. */
export type AdmissionHeader = Omit<AdmissionRequest, 'object' | 'oldObject'> & {
  hasObject: boolean;
  objectName: string;
  deleting: boolean;
  /** an UPDATE whose spec did not change */
  specUnchanged: boolean;
  storeRef: { kind: 'SecretStore' | 'ClusterSecretStore'; name: string };
};

export interface Subject {
  header: AdmissionHeader;
  /** the object itself, when it is held on this thread (small requests) */
  object?: unknown;
  evaluate(evaluator: Evaluator, namespace: string): Promise<Verdict>;
  defaultingPatch(): Promise<JsonPatchOperation[]>;
  /** frees what the subject holds (a worker's copy of the object) */
  release(): void;
}

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

export function headerOf(request: AdmissionRequest): AdmissionHeader {
  const { object, oldObject, ...rest } = request;
  const metadata = isObject(object) && isObject(object.metadata) ? object.metadata : {};
  return {
    ...rest,
    // On CREATE the request's namespace is authoritative; the object may not name one.
    namespace: rest.namespace || (typeof metadata.namespace === 'string' ? metadata.namespace : ''),
    hasObject: object !== undefined,
    objectName: typeof metadata.name === 'string' ? metadata.name : '',
    deleting: Boolean(metadata.deletionTimestamp),
    specUnchanged: request.operation === 'UPDATE' && isObject(object) && isObject(oldObject) && isDeepStrictEqual(object.spec, oldObject.spec),
    storeRef: storeRefOf(object),
  };
}

/** A request parsed on the event loop: the core runs here. */
export function inlineSubject(request: AdmissionRequest): Subject {
  return {
    header: headerOf(request),
    object: request.object,
    evaluate: (evaluator, namespace) => evaluator.evaluate(request.object ?? {}, namespace),
    defaultingPatch: async () => defaultingPatch(request.object ?? {}),
    release: () => undefined,
  };
}

/** The worker side of a large request, as the webhook sees it. */
export interface RemoteReview {
  header: AdmissionHeader;
  analyzer: Analyzer;
  defaultingPatch(): Promise<JsonPatchOperation[]>;
  release(): void;
}

export function remoteSubject(review: RemoteReview): Subject {
  return {
    header: review.header,
    evaluate: (evaluator, namespace) => evaluator.evaluateWith(review.header.storeRef, namespace, review.analyzer),
    defaultingPatch: () => review.defaultingPatch(),
    release: () => review.release(),
  };
}
