// The Kubernetes writes of syncing: target Secrets (read, create, update, delete, the
// managed-label patch), ExternalSecret status (PUT /status, as ESO writes it) and core/v1
// Events (repeats of one event aggregated into a count, as client-go's recorder does).
// Every write names ESO's field manager for the ExternalSecret, so managedFields read the
// same whichever controller wrote. Secret data crosses here as bytes; none is logged.
import * as k8s from '@kubernetes/client-node';
import { fieldManagerFor } from '../core/esoHash.js';
import type { ManagedFieldsEntry, OwnerReference, SecretState } from '../core/secretPlan.js';
import { ESO_GROUP, ESO_VERSION, type ExternalSecret, type ExternalSecretStatus } from '../eso/types.js';

export class ConflictError extends Error {
  constructor(what: string) {
    super(`${what}: the object changed meanwhile (conflict)`);
    this.name = 'ConflictError';
  }
}

const isCode = (error: unknown, code: number) => error instanceof k8s.ApiException && error.code === code;

export function secretStateOf(secret: k8s.V1Secret): SecretState {
  const meta = secret.metadata ?? {};
  return {
    name: meta.name ?? '',
    namespace: meta.namespace ?? '',
    ...(meta.uid ? { uid: meta.uid } : {}),
    ...(meta.resourceVersion ? { resourceVersion: meta.resourceVersion } : {}),
    labels: { ...(meta.labels ?? {}) },
    annotations: { ...(meta.annotations ?? {}) },
    ownerReferences: (meta.ownerReferences ?? []).map((ref) => ({
      apiVersion: ref.apiVersion,
      kind: ref.kind,
      name: ref.name,
      uid: ref.uid,
      ...(ref.controller !== undefined ? { controller: ref.controller } : {}),
      ...(ref.blockOwnerDeletion !== undefined ? { blockOwnerDeletion: ref.blockOwnerDeletion } : {}),
    })),
    finalizers: [...(meta.finalizers ?? [])],
    ...(secret.type ? { type: secret.type } : {}),
    ...(secret.immutable !== undefined ? { immutable: secret.immutable } : {}),
    data: Object.fromEntries(Object.entries(secret.data ?? {}).map(([key, value]) => [key, Buffer.from(value, 'base64')])),
    managedFields: (meta.managedFields ?? []).map((entry) => ({ ...(entry.manager ? { manager: entry.manager } : {}), ...(entry.operation ? { operation: entry.operation } : {}), ...(entry.fieldsV1 ? { fieldsV1: entry.fieldsV1 as Record<string, unknown> } : {}) }) satisfies ManagedFieldsEntry),
  };
}

function secretBody(state: SecretState): k8s.V1Secret {
  return {
    apiVersion: 'v1',
    kind: 'Secret',
    metadata: {
      name: state.name,
      namespace: state.namespace,
      ...(state.resourceVersion ? { resourceVersion: state.resourceVersion } : {}),
      labels: state.labels,
      annotations: state.annotations,
      ...(state.ownerReferences.length > 0 ? { ownerReferences: state.ownerReferences as k8s.V1OwnerReference[] } : {}),
      ...(state.finalizers.length > 0 ? { finalizers: state.finalizers } : {}),
    },
    ...(state.type ? { type: state.type } : {}),
    ...(state.immutable ? { immutable: true } : {}),
    data: Object.fromEntries(Object.entries(state.data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
  };
}

export class SecretWriter {
  private readonly core: k8s.CoreV1Api;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  async read(namespace: string, name: string): Promise<SecretState | undefined> {
    try {
      return secretStateOf(await this.core.readNamespacedSecret({ namespace, name }));
    } catch (error) {
      if (isCode(error, 404)) return undefined;
      throw error;
    }
  }

  async create(state: SecretState, esName: string, fieldManager = fieldManagerFor(esName)): Promise<SecretState> {
    try {
      const created = await this.core.createNamespacedSecret({ namespace: state.namespace, body: secretBody(state), fieldManager });
      return secretStateOf(created);
    } catch (error) {
      // Someone created it first (admission, another controller): look again rather than fail.
      if (isCode(error, 409)) throw new ConflictError(`Secret ${state.namespace}/${state.name}`);
      throw error;
    }
  }

  async update(state: SecretState, esName: string): Promise<SecretState> {
    try {
      const updated = await this.core.replaceNamespacedSecret({ namespace: state.namespace, name: state.name, body: secretBody(state), fieldManager: fieldManagerFor(esName) });
      return secretStateOf(updated);
    } catch (error) {
      if (isCode(error, 409)) throw new ConflictError(`Secret ${state.namespace}/${state.name}`);
      throw error;
    }
  }

  async delete(namespace: string, name: string, uid?: string): Promise<void> {
    try {
      await this.core.deleteNamespacedSecret({ namespace, name, ...(uid ? { body: { preconditions: { uid } } } : {}) });
    } catch (error) {
      if (!isCode(error, 404)) throw error;
    }
  }

  /** ESO's adoption step: a merge patch of the managed label, by the ExternalSecret's field manager. */
  async markManaged(namespace: string, name: string, esName: string): Promise<void> {
    await this.mergePatch(namespace, name, { metadata: { labels: { 'reconcile.external-secrets.io/managed': 'true' } } }, fieldManagerFor(esName));
  }

  async mergePatch(namespace: string, name: string, patch: object, fieldManager: string): Promise<void> {
    await this.core.patchNamespacedSecret({ namespace, name, body: patch, fieldManager }, k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch));
  }
}

export class StatusWriter {
  private readonly custom: k8s.CustomObjectsApi;

  constructor(kubeConfig: k8s.KubeConfig) {
    this.custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  }

  /** PUT /status with the resourceVersion seen, as ESO does; a conflict means "look again". */
  async write(es: ExternalSecret, status: ExternalSecretStatus): Promise<ExternalSecret> {
    try {
      return (await this.custom.replaceNamespacedCustomObjectStatus({
        group: ESO_GROUP,
        version: ESO_VERSION,
        namespace: es.metadata?.namespace ?? '',
        plural: 'externalsecrets',
        name: es.metadata?.name ?? '',
        body: { ...es, status },
      })) as ExternalSecret;
    } catch (error) {
      if (isCode(error, 409)) throw new ConflictError(`ExternalSecret ${es.metadata?.namespace}/${es.metadata?.name}`);
      throw error;
    }
  }
}

export interface EventSink {
  record(es: ExternalSecret, type: 'Normal' | 'Warning', reason: string, message: string): void;
}

/** core/v1 Events for ExternalSecrets; a repeat within ten minutes bumps the count of the first. */
export class EventRecorder implements EventSink {
  private readonly core: k8s.CoreV1Api;
  private readonly recent = new Map<string, { name: string; count: number; at: number }>();

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly component: string,
    private readonly onError: (error: unknown) => void,
  ) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
  }

  record(es: ExternalSecret, type: 'Normal' | 'Warning', reason: string, message: string): void {
    void this.send(es, type, reason, message.slice(0, 1024)).catch(this.onError);
  }

  private async send(es: ExternalSecret, type: string, reason: string, message: string): Promise<void> {
    const namespace = es.metadata?.namespace ?? '';
    const key = `${namespace}/${es.metadata?.name}/${es.metadata?.uid}/${type}/${reason}/${message}`;
    const now = new Date();
    const seen = this.recent.get(key);
    if (seen && now.getTime() - seen.at < 600_000) {
      seen.count++;
      seen.at = now.getTime();
      await this.core.patchNamespacedEvent(
        { namespace, name: seen.name, body: { count: seen.count, lastTimestamp: now } },
        k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.MergePatch),
      );
      return;
    }
    if (this.recent.size > 10_000) this.recent.clear();
    const name = `${es.metadata?.name ?? 'externalsecret'}.${now.getTime().toString(16)}${Math.floor(Math.random() * 0xfff).toString(16)}`;
    this.recent.set(key, { name, count: 1, at: now.getTime() });
    await this.core.createNamespacedEvent({
      namespace,
      body: {
        metadata: { name, namespace },
        involvedObject: { apiVersion: `${ESO_GROUP}/${ESO_VERSION}`, kind: 'ExternalSecret', name: es.metadata?.name ?? '', namespace, uid: es.metadata?.uid ?? '', resourceVersion: es.metadata?.resourceVersion ?? '' },
        type,
        reason,
        message,
        count: 1,
        firstTimestamp: now,
        lastTimestamp: now,
        source: { component: this.component },
        reportingComponent: this.component,
      },
    });
  }
}

export type { OwnerReference };
