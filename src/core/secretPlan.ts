// The Secret ESO v0.20.4 would leave behind for an ExternalSecret (its mutationFunc and
// template engine), computed from the ExternalSecret, the Secret as it is, and the data
// read from Vault: owner reference, labels and annotations (copied from the ExternalSecret
// without a template, rendered with one), the managed label, created-by and data-hash,
// type, immutability, and the keys ESO's field manager owned being replaced. vaultgate
// writes exactly this, so ESO (beside it, or after it) sees nothing to change. Pure.
import type { ExternalSecret, TemplateFrom } from '../eso/types.js';
import { createdByHash, dataHash, fieldManagerFor } from './esoHash.js';
import { executeGoTemplate, newEvaluationBudget, parseGoTemplate, unmarshalYamlStringMap, type EvaluationBudget } from './goTemplate.js';
import { CREATED_BY_LABEL, DATA_HASH_ANNOTATION, MANAGED_LABEL } from './schedule.js';

export type Bytes = Uint8Array;

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ManagedFieldsEntry {
  manager?: string;
  operation?: string;
  fieldsV1?: Record<string, unknown>;
}

/** The parts of a Secret the plan reads and writes. */
export interface SecretState {
  name: string;
  namespace: string;
  uid?: string;
  resourceVersion?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  ownerReferences: OwnerReference[];
  finalizers: string[];
  type?: string;
  immutable?: boolean;
  data: Record<string, Bytes>;
  managedFields: ManagedFieldsEntry[];
}

/** Sources templateFrom reads (ConfigMaps and Secrets in the ExternalSecret's namespace). */
export interface TemplateSources {
  configMap(name: string): Record<string, string> | undefined;
  secret(name: string): Record<string, Bytes> | undefined;
}

export type Plan =
  | { ok: true; secret: SecretState }
  /** ESO's failure: `reason` is the condition message, `message` the event's; retry false means ESO does not requeue */
  | { ok: false; reason: string; message: string; retry: boolean; unsupported?: boolean };

export const ES_API_VERSION = 'external-secrets.io/v1';

export function targetName(es: ExternalSecret): string {
  return es.spec?.target?.name || es.metadata?.name || '';
}

export function emptySecret(es: ExternalSecret): SecretState {
  return {
    name: targetName(es),
    namespace: es.metadata?.namespace ?? '',
    labels: {},
    annotations: {},
    ownerReferences: [],
    finalizers: [],
    data: {},
    managedFields: [],
  };
}

/** Field keys ("f:name") a manager owns under a path of its fieldsV1. */
function ownedKeys(managedFields: ManagedFieldsEntry[], manager: string, path: string[]): string[] {
  const keys: string[] = [];
  for (const entry of managedFields) {
    if (entry.manager !== manager || entry.operation !== 'Update') continue;
    let node: unknown = entry.fieldsV1;
    for (const part of path) node = typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[part] : undefined;
    if (typeof node !== 'object' || node === null) continue;
    for (const key of Object.keys(node)) if (key.startsWith('f:')) keys.push(key.slice(2));
  }
  return keys;
}

const isEsOwner = (ref: OwnerReference) => ref.kind === 'ExternalSecret' && ref.apiVersion.split('/')[0] === 'external-secrets.io';

const decoder = new TextDecoder('utf-8');
const text = (bytes: Bytes) => decoder.decode(bytes);
const utf8 = (value: string): Bytes => Buffer.from(value, 'utf8');

type Failure = { ok: false; error: string; unsupported: boolean };
type Put = (key: string, value: Bytes) => void;

/** ESO's execute: the template `name` parsed from `body` (missingkey=error), run on the values. */
function execute(name: string, body: string, values: Record<string, Bytes>, budget: EvaluationBudget): { ok: true; value: Bytes } | Failure {
  const parsed = parseGoTemplate(name, body);
  if (!parsed.ok) return { ok: false, error: `unable to parse template at key ${name}: ${parsed.error}`, unsupported: Boolean(parsed.unsupported) };
  const executed = executeGoTemplate(parsed.template, values, budget);
  if (!executed.ok) return { ok: false, error: `unable to execute template at key ${name}: ${executed.error}`, unsupported: Boolean(executed.unsupported) };
  return { ok: true, value: executed.bytes };
}

/** ESO's valueScopeApply for one key: the template's output is the key's value. */
function applyValue(key: string, body: string, values: Record<string, Bytes>, put: Put, budget: EvaluationBudget): Failure | undefined {
  const result = execute(key, body, values, budget);
  if (!result.ok) return { ...result, error: `unable to execute template at key ${key}: ${result.error}` };
  put(key, result.value);
  return undefined;
}

/** ESO's mapScopeApply (KeysAndValues, literal): the template, named by its own text, renders YAML whose entries become keys. */
function applyKeysAndValues(body: string, values: Record<string, Bytes>, put: Put, budget: EvaluationBudget): Failure | undefined {
  const result = execute(body, body, values, budget);
  if (!result.ok) return { ...result, error: `unable to execute template at key ${body}: ${result.error}` };
  const entries = unmarshalYamlStringMap(text(result.value), budget);
  if (!entries.ok) {
    return { ok: false, error: entries.unsupported ? entries.error : `could not unmarshal template to 'map[string][]byte': ${entries.error}`, unsupported: Boolean(entries.unsupported) };
  }
  for (const [key, value] of entries.value) put(key, utf8(value));
  return undefined;
}

/** ESO's Execute for one templateFrom item by its templateAs scope. */
function applyScoped(scope: string, key: string, body: string, values: Record<string, Bytes>, put: Put, budget: EvaluationBudget): Failure | undefined {
  if (scope === 'Values') return applyValue(key, body, values, put, budget);
  if (scope === 'KeysAndValues') return applyKeysAndValues(body, values, put, budget);
  return { ok: false, error: `unknown scope '${scope}': expected 'Values' or 'KeysAndValues'`, unsupported: false };
}

/** The text of a failed client Get, as controller-runtime's client words it. */
const notFound = (resource: 'configmaps' | 'secrets', name: string) => (name === '' ? 'resource name may not be empty' : `${resource} "${name}" not found`);

type TemplateFromSource = NonNullable<TemplateFrom['configMap']>;

/** ESO's MergeConfigMap / MergeSecret: each listed item of one source, by its scope. */
function applyItems(kind: 'configmap' | 'secret', source: TemplateFromSource, contents: Record<string, string> | undefined, values: Record<string, Bytes>, put: Put, budget: EvaluationBudget): Failure | undefined {
  const name = source.name ?? '';
  if (!contents) return { ok: false, error: notFound(kind === 'configmap' ? 'configmaps' : 'secrets', name), unsupported: false };
  for (const item of source.items ?? []) {
    const key = item.key ?? '';
    // Own keys only: an item named "constructor" must not find Object.prototype's.
    const body = Object.hasOwn(contents, key) ? contents[key] : undefined;
    if (body === undefined) return { ok: false, error: `error in ${kind} ${name}: missing key ${key}`, unsupported: false };
    const failed = applyScoped(item.templateAs ?? 'Values', key, body, values, put, budget);
    if (failed) return failed;
  }
  return undefined;
}

/** ESO's MergeTemplateFrom: per entry its ConfigMap items, its Secret items, then its literal. */
function mergeTemplateFrom(entries: TemplateFrom[], values: Record<string, Bytes>, sources: TemplateSources, putFor: (entry: TemplateFrom) => Put, budget: EvaluationBudget): Failure | undefined {
  for (const entry of entries) {
    const put = putFor(entry);
    if (entry.configMap) {
      const failed = applyItems('configmap', entry.configMap, sources.configMap(entry.configMap.name ?? ''), values, put, budget);
      if (failed) return failed;
    }
    if (entry.secret) {
      const secret = sources.secret(entry.secret.name ?? '');
      const texts = secret && Object.fromEntries(Object.entries(secret).map(([key, value]) => [key, text(value)]));
      const failed = applyItems('secret', entry.secret, texts, values, put, budget);
      if (failed) return failed;
    }
    if (entry.literal !== undefined) {
      const failed = applyKeysAndValues(entry.literal, values, put, budget);
      if (failed) return failed;
    }
  }
  return undefined;
}

/**
 * ESO's ApplyTemplate after the provider data is in: templateFrom entries in order, then
 * template.data, then the metadata templates, each failure wrapped in ESO's words.
 */
function renderTemplates(
  es: ExternalSecret,
  values: Record<string, Bytes>,
  sources: TemplateSources,
  budget: EvaluationBudget,
): { ok: true; data: Record<string, Bytes>; labels: Record<string, string>; annotations: Record<string, string> } | Failure {
  const template = es.spec?.target?.template ?? {};
  const data: Record<string, Bytes> = {};
  const labels: Record<string, string> = {};
  const annotations: Record<string, string> = {};
  const putData: Put = (key, value) => void (data[key] = value);
  const putLabel: Put = (key, value) => void (labels[key] = text(value));
  const putAnnotation: Put = (key, value) => void (annotations[key] = text(value));
  const putFor = (entry: TemplateFrom) => (entry.target === 'Labels' ? putLabel : entry.target === 'Annotations' ? putAnnotation : putData);
  const fetched = mergeTemplateFrom(template.templateFrom ?? [], values, sources, putFor, budget);
  if (fetched) return { ...fetched, error: `error fetching templateFrom data: ${fetched.error}` };
  for (const [source, put] of [[template.data, putData], [template.metadata?.labels, putLabel], [template.metadata?.annotations, putAnnotation]] as const) {
    for (const [key, body] of Object.entries(source ?? {})) {
      const failed = applyValue(key, body, values, put, budget);
      // MergeMap and ApplyTemplate each add their "could not execute template".
      if (failed) return { ...failed, error: `could not execute template: could not execute template: ${failed.error}` };
    }
  }
  return { ok: true, data, labels, annotations };
}

/**
 * The Secret ESO's mutationFunc produces from `current` (emptySecret(es) for a new one) and
 * the provider data. `current` is not modified.
 */
export function planSecret(es: ExternalSecret, current: SecretState, providerData: Record<string, Bytes>, sources: TemplateSources, budget: EvaluationBudget = newEvaluationBudget()): Plan {
  const name = es.metadata?.name ?? '';
  const namespace = es.metadata?.namespace ?? '';
  const creation = es.spec?.target?.creationPolicy ?? 'Owner';
  const isNew = current.uid === undefined;
  const secret: SecretState = {
    ...current,
    labels: { ...current.labels },
    annotations: { ...current.annotations },
    ownerReferences: current.ownerReferences.map((ref) => ({ ...ref })),
    data: { ...current.data },
  };

  const controller = secret.ownerReferences.find((ref) => ref.controller);
  if (controller && isEsOwner(controller) && controller.name !== name) {
    return { ok: false, reason: 'target is owned by another ExternalSecret', message: `secret is owned by another ExternalSecret: ${controller.name}`, retry: false };
  }
  if (creation === 'Owner') {
    if (controller && !(isEsOwner(controller) && controller.name === name)) {
      return {
        ok: false,
        reason: 'failed to take ownership of target secret',
        message: `could not set controller reference on secret: Object ${namespace}/${secret.name} is already owned by another ${controller.kind} controller ${controller.name}`,
        retry: false,
      };
    }
    const uid = es.metadata?.uid ?? '';
    const ours: OwnerReference = { apiVersion: ES_API_VERSION, kind: 'ExternalSecret', name, uid, controller: true, blockOwnerDeletion: true };
    const index = secret.ownerReferences.findIndex((ref) => ref.uid === uid || (isEsOwner(ref) && ref.name === name));
    if (index === -1) secret.ownerReferences.push(ours);
    else secret.ownerReferences[index] = ours;
  } else if (controller && isEsOwner(controller) && controller.name === name) {
    secret.ownerReferences = secret.ownerReferences.filter((ref) => ref !== controller);
  }

  const immutable = es.spec?.target?.immutable === true;
  if (immutable) secret.immutable = true;
  if (isNew || !immutable) {
    const manager = fieldManagerFor(name);
    for (const key of ownedKeys(current.managedFields, manager, ['f:data'])) delete secret.data[key];
    // ESO's parser looks the metadata manager up by the ExternalSecret's name length, not the manager's.
    const metadataManager = name.length > 63 ? manager : `externalsecrets.external-secrets.io/${name}`;
    for (const key of ownedKeys(current.managedFields, metadataManager, ['f:metadata', 'f:labels'])) delete secret.labels[key];
    for (const key of ownedKeys(current.managedFields, metadataManager, ['f:metadata', 'f:annotations'])) delete secret.annotations[key];

    const template = es.spec?.target?.template;
    if (!template) {
      Object.assign(secret.labels, es.metadata?.labels ?? {});
      Object.assign(secret.annotations, es.metadata?.annotations ?? {});
    } else {
      Object.assign(secret.labels, template.metadata?.labels ?? {});
      Object.assign(secret.annotations, template.metadata?.annotations ?? {});
      for (const finalizer of template.metadata?.finalizers ?? []) if (!secret.finalizers.includes(finalizer)) secret.finalizers = [...secret.finalizers, finalizer];
    }
    if (creation !== 'Merge') secret.data = {};
    if (!template) {
      Object.assign(secret.data, providerData);
    } else {
      if ((template.engineVersion ?? 'v2') !== 'v2') {
        return { ok: false, reason: 'could not update secret', message: `unsupported template engine version: ${template.engineVersion ?? ''}`, retry: true };
      }
      if (template.type) secret.type = template.type;
      const hasTemplateData = Object.keys(template.data ?? {}).length > 0 || (template.templateFrom ?? []).length > 0;
      if ((template.mergePolicy ?? 'Replace') === 'Merge' || !hasTemplateData) Object.assign(secret.data, providerData);
      const rendered = renderTemplates(es, providerData, sources, budget);
      if (!rendered.ok) {
        return { ok: false, reason: 'could not update secret', message: `could not apply template: ${rendered.error}`, retry: true, ...(rendered.unsupported ? { unsupported: true } : {}) };
      }
      Object.assign(secret.data, rendered.data);
      Object.assign(secret.labels, rendered.labels);
      Object.assign(secret.annotations, rendered.annotations);
    }
  }

  if (creation === 'Owner') secret.labels[CREATED_BY_LABEL] = createdByHash(namespace, name);
  else delete secret.labels[CREATED_BY_LABEL];
  secret.labels[MANAGED_LABEL] = 'true';
  secret.annotations[DATA_HASH_ANNOTATION] = dataHash(secret.data);
  return { ok: true, secret };
}

const sameMap = <T>(a: Record<string, T>, b: Record<string, T>, equal: (x: T, y: T) => boolean) =>
  Object.keys(a).length === Object.keys(b).length && Object.entries(a).every(([key, value]) => Object.hasOwn(b, key) && equal(value, b[key] as T));

const sameBytes = (a: Bytes, b: Bytes) => Buffer.compare(Buffer.from(a), Buffer.from(b)) === 0;

/** Would writing `desired` change anything ESO compares (ESO writes only when it would)? */
export function secretChanged(current: SecretState, desired: SecretState): boolean {
  return (
    !sameMap(current.data, desired.data, sameBytes) ||
    !sameMap(current.labels, desired.labels, (a, b) => a === b) ||
    !sameMap(current.annotations, desired.annotations, (a, b) => a === b) ||
    JSON.stringify(current.ownerReferences) !== JSON.stringify(desired.ownerReferences) ||
    JSON.stringify(current.finalizers) !== JSON.stringify(desired.finalizers) ||
    (current.type ?? '') !== (desired.type ?? '') ||
    Boolean(current.immutable) !== Boolean(desired.immutable)
  );
}
