// The Kubernetes adapter: cluster facts for the decision core (namespace labels, stores,
// path policies) from informers, plus the two reads a store's Vault identity needs: a key
// of a Secret (tokenSecretRef) and a service-account token (TokenRequest API).
import * as k8s from '@kubernetes/client-node';
import { LRUCache } from 'lru-cache';
import { failed, missing, ok, unavailable, type Lookup } from '../core/facts.js';
import {
  ESO_GROUP,
  ESO_VERSION,
  VAULTGATE_GROUP,
  VAULTGATE_VERSION,
  type SecretStore,
  type StoreKind,
  type VaultPathPolicy,
} from '../eso/types.js';
import type { Logger } from '../log.js';
import { withDeadline } from '../util/deadline.js';
import { describeKubeError, WatchedCollection } from './informers.js';

type CustomObject = k8s.KubernetesObject & Record<string, unknown>;

export interface ClusterFactsOptions {
  /** how long a Secret key read is reused (token rotation is noticed after this) */
  secretCacheTtlMs: number;
  timeoutMs: number;
}

export class ClusterFacts {
  readonly namespaces: WatchedCollection<k8s.V1Namespace>;
  readonly clusterSecretStores: WatchedCollection<CustomObject>;
  readonly secretStores: WatchedCollection<CustomObject>;
  readonly policies: WatchedCollection<CustomObject>;
  private readonly core: k8s.CoreV1Api;
  private readonly secretKeys: LRUCache<string, { value: string }>;

  constructor(
    readonly kubeConfig: k8s.KubeConfig,
    private readonly options: ClusterFactsOptions,
    log: Logger,
  ) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    // Cluster-wide watch of one custom resource: the watch path and the list call name the same resource.
    const watchCustom = (what: string, group: string, version: string, plural: string) =>
      new WatchedCollection<CustomObject>(
        what,
        kubeConfig,
        `/apis/${group}/${version}/${plural}`,
        () => custom.listClusterCustomObject({ group, version, plural }) as Promise<k8s.KubernetesListObject<CustomObject>>,
        log,
      );
    this.namespaces = new WatchedCollection('namespaces', kubeConfig, '/api/v1/namespaces', () => this.core.listNamespace(), log);
    this.clusterSecretStores = watchCustom('ClusterSecretStores', ESO_GROUP, ESO_VERSION, 'clustersecretstores');
    this.secretStores = watchCustom('SecretStores', ESO_GROUP, ESO_VERSION, 'secretstores');
    this.policies = watchCustom('VaultPathPolicies', VAULTGATE_GROUP, VAULTGATE_VERSION, 'vaultpathpolicies');
    this.secretKeys = new LRUCache({ max: 1000, ttl: Math.max(1, options.secretCacheTtlMs) });
  }

  private get collections() {
    return [this.namespaces, this.clusterSecretStores, this.secretStores, this.policies];
  }

  /** Why cluster facts cannot be trusted yet (empty once every watch has listed). */
  get problems(): string[] {
    return this.collections.map((c) => c.problem).filter((p): p is string => p !== undefined);
  }

  async start(): Promise<void> {
    await Promise.all(this.collections.map((c) => c.start()));
  }

  async stop(): Promise<void> {
    await Promise.all(this.collections.map((c) => c.stop()));
  }

  get synced(): boolean {
    return this.collections.every((c) => c.synced);
  }

  namespaceLabels(namespace: string): Lookup<Record<string, string>> {
    if (this.namespaces.problem) return unavailable(this.namespaces.problem);
    const found = this.namespaces.get(namespace);
    // A namespace being created in the same apply may not be watched yet: its name label is certain.
    return ok({ 'kubernetes.io/metadata.name': namespace, ...(found?.metadata?.labels ?? {}) });
  }

  store(kind: StoreKind, name: string, namespace: string): Lookup<SecretStore> {
    const collection = kind === 'ClusterSecretStore' ? this.clusterSecretStores : this.secretStores;
    if (collection.problem) return unavailable(collection.problem);
    const found = kind === 'ClusterSecretStore' ? collection.get(name) : collection.get(name, namespace);
    return found ? ok(found as SecretStore) : missing();
  }

  /** Every store vaultgate has seen (for Vault health). */
  stores(): { store: SecretStore; kind: StoreKind }[] {
    return [
      ...this.clusterSecretStores.list().map((store) => ({ store: store as SecretStore, kind: 'ClusterSecretStore' as const })),
      ...this.secretStores.list().map((store) => ({ store: store as SecretStore, kind: 'SecretStore' as const })),
    ];
  }

  pathPolicies(): Lookup<VaultPathPolicy[]> {
    if (this.policies.problem) return unavailable(this.policies.problem);
    return ok([...this.policies.list()] as unknown as VaultPathPolicy[]);
  }

  /**
   * One key of a Secret, e.g. a token store's tokenSecretRef, exactly as stored (ESO does not
   * trim it either); cached briefly. Messages use ESO's words.
   */
  async secretKey(namespace: string, name: string, key: string): Promise<Lookup<string>> {
    return this.objectKey('secret', namespace, name, key, async () => {
      const secret = await this.core.readNamespacedSecret({ name, namespace });
      const encoded = secret.data?.[key];
      return encoded === undefined ? undefined : Buffer.from(encoded, 'base64').toString('utf8');
    });
  }

  /** Forgets every Secret and ConfigMap key read, so a rotated token is read again. */
  forgetCredentials(): void {
    this.secretKeys.clear();
  }

  /** One key of a ConfigMap (a store's caProvider of type ConfigMap). */
  async configMapKey(namespace: string, name: string, key: string): Promise<Lookup<string>> {
    return this.objectKey('configmap', namespace, name, key, async () => {
      const configMap = await this.core.readNamespacedConfigMap({ name, namespace });
      return configMap.data?.[key];
    });
  }

  private async objectKey(kind: 'secret' | 'configmap', namespace: string, name: string, key: string, read: () => Promise<string | undefined>): Promise<Lookup<string>> {
    const cacheKey = `${kind}/${namespace}/${name}/${key}`;
    const cached = this.secretKeys.get(cacheKey);
    if (cached) return ok(cached.value);
    const what = `${kind === 'secret' ? 'Kubernetes secret' : 'ConfigMap'} "${name}" from namespace "${namespace}"`;
    if (!name) return failed(`cannot get ${what}: no name given`);
    try {
      const value = await withDeadline(read(), this.options.timeoutMs, `reading ${what}`);
      if (value === undefined) return failed(`cannot find secret data for key: ${JSON.stringify(key)}`);
      this.secretKeys.set(cacheKey, { value });
      return ok(value);
    } catch (error) {
      if (error instanceof k8s.ApiException && error.code === 404) return failed(`cannot get ${what}: ${kind}s "${name}" not found`);
      return kubeFailure(error, what);
    }
  }

  /** A short-lived token of a service account through the TokenRequest API. */
  async serviceAccountToken(namespace: string, name: string, audiences: string[], seconds = 600): Promise<Lookup<{ token: string; expiresAt: number }>> {
    try {
      const response = await withDeadline(
        this.core.createNamespacedServiceAccountToken({ name, namespace, body: { spec: { audiences, expirationSeconds: seconds } } }),
        this.options.timeoutMs,
        `TokenRequest for ServiceAccount ${namespace}/${name}`,
      );
      const token = response.status?.token;
      if (!token) return failed(`TokenRequest for ServiceAccount ${namespace}/${name} returned no token`);
      const expiresAt = response.status?.expirationTimestamp ? new Date(response.status.expirationTimestamp).getTime() : Date.now() + seconds * 1000;
      return ok({ token, expiresAt });
    } catch (error) {
      return kubeFailure(error, `ServiceAccount ${namespace}/${name}`);
    }
  }
}

function kubeFailure<T>(error: unknown, what: string): Lookup<T> {
  if (error instanceof k8s.ApiException) {
    if (error.code === 404) return failed(`${what} not found`);
    if (error.code === 403) return failed(`vaultgate may not read ${what} (RBAC)`);
    return error.code >= 500 ? unavailable(`${what}: ${describeKubeError(error)}`) : failed(`${what}: ${describeKubeError(error)}`);
  }
  return unavailable(`${what}: ${describeKubeError(error)}`);
}
