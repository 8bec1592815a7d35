// AdmissionReview v1 in and out, as pure functions apart from the HTTP layer: parsing a
// request (with a clear reason when it is not one) and building allow, deny and patch
// responses.
import type { JsonPatchOperation } from '../core/facts.js';
import type { ExternalSecret } from '../eso/types.js';

export const ADMISSION_API_VERSION = 'admission.k8s.io/v1';

export interface AdmissionRequest {
  uid: string;
  kind: { group: string; version: string; kind: string };
  operation: 'CREATE' | 'UPDATE' | 'DELETE' | 'CONNECT';
  namespace: string;
  name: string;
  object?: ExternalSecret;
  oldObject?: ExternalSecret;
  dryRun: boolean;
  userInfo?: { username?: string; groups?: string[] };
}

export interface AdmissionResponse {
  uid: string;
  allowed: boolean;
  status?: { code: number; reason: string; message: string };
  warnings?: string[];
  patchType?: 'JSONPatch';
  patch?: string;
}

export interface AdmissionReviewReply {
  apiVersion: typeof ADMISSION_API_VERSION;
  kind: 'AdmissionReview';
  response: AdmissionResponse;
}

export type ParseResult = { ok: true; request: AdmissionRequest } | { ok: false; message: string };

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const OPERATIONS = new Set(['CREATE', 'UPDATE', 'DELETE', 'CONNECT']);

export function parseAdmissionReview(body: unknown): ParseResult {
  if (!isObject(body)) return { ok: false, message: 'body must be a JSON AdmissionReview object' };
  if (body.kind !== 'AdmissionReview') return { ok: false, message: `kind must be AdmissionReview, got ${JSON.stringify(body.kind ?? null)}` };
  if (body.apiVersion !== ADMISSION_API_VERSION) {
    return { ok: false, message: `apiVersion must be ${ADMISSION_API_VERSION}, got ${JSON.stringify(body.apiVersion ?? null)}` };
  }
  const request = body.request;
  if (!isObject(request)) return { ok: false, message: 'request is missing' };
  if (typeof request.uid !== 'string' || request.uid === '') return { ok: false, message: 'request.uid is missing' };
  if (typeof request.operation !== 'string' || !OPERATIONS.has(request.operation)) {
    return { ok: false, message: 'request.operation must be CREATE, UPDATE, DELETE or CONNECT' };
  }
  const kind = isObject(request.kind) ? request.kind : {};
  if ((request.operation === 'CREATE' || request.operation === 'UPDATE') && !isObject(request.object)) {
    return { ok: false, message: `request.object is required for ${request.operation}` };
  }
  return {
    ok: true,
    request: {
      uid: request.uid,
      kind: { group: String(kind.group ?? ''), version: String(kind.version ?? ''), kind: String(kind.kind ?? '') },
      operation: request.operation as AdmissionRequest['operation'],
      namespace: typeof request.namespace === 'string' ? request.namespace : '',
      name: typeof request.name === 'string' ? request.name : '',
      ...(isObject(request.object) ? { object: request.object as ExternalSecret } : {}),
      ...(isObject(request.oldObject) ? { oldObject: request.oldObject as ExternalSecret } : {}),
      dryRun: request.dryRun === true,
      ...(isObject(request.userInfo) ? { userInfo: request.userInfo as AdmissionRequest['userInfo'] } : {}),
    },
  };
}

function reply(response: AdmissionResponse): AdmissionReviewReply {
  return { apiVersion: ADMISSION_API_VERSION, kind: 'AdmissionReview', response };
}

export function allow(uid: string, warnings: string[] = []): AdmissionReviewReply {
  return reply({ uid, allowed: true, ...(warnings.length > 0 ? { warnings } : {}) });
}

export function deny(uid: string, message: string, warnings: string[] = []): AdmissionReviewReply {
  return reply({
    uid,
    allowed: false,
    status: { code: 403, reason: 'Forbidden', message },
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}

export function patch(uid: string, operations: readonly JsonPatchOperation[], warnings: string[] = []): AdmissionReviewReply {
  if (operations.length === 0) return allow(uid, warnings);
  return reply({
    uid,
    allowed: true,
    patchType: 'JSONPatch',
    patch: Buffer.from(JSON.stringify(operations)).toString('base64'),
    ...(warnings.length > 0 ? { warnings } : {}),
  });
}
