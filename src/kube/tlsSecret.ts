// vaultgate's TLS Secret in its own namespace: watched by name (so RBAC can scope list and
// watch to that one Secret by resourceNames), written by the certificate leader with
// optimistic concurrency (create, or replace at the resourceVersion last seen).
// Invariant: never logs the Secret's data.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { materialFromSecretData, secretDataFromMaterial, type StoredMaterial } from '../tls/material.js';
import { WatchedCollection } from './informers.js';

export type WriteOutcome = 'written' | 'conflict';

export class TlsSecret {
  private readonly core: k8s.CoreV1Api;
  private readonly watched: WatchedCollection<k8s.V1Secret>;

  constructor(
    kubeConfig: k8s.KubeConfig,
    readonly namespace: string,
    readonly name: string,
    log: Logger,
  ) {
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    const fieldSelector = `metadata.name=${name}`;
    this.watched = new WatchedCollection<k8s.V1Secret>(
      `Secret ${namespace}/${name}`,
      kubeConfig,
      `/api/v1/namespaces/${namespace}/secrets`,
      () => this.core.listNamespacedSecret({ namespace, fieldSelector }),
      log,
      { fieldSelector },
    );
  }

  start(): Promise<void> {
    return this.watched.start();
  }

  stop(): Promise<void> {
    return this.watched.stop();
  }

  get synced(): boolean {
    return this.watched.synced;
  }

  get problem(): string | undefined {
    return this.watched.problem;
  }

  onChange(callback: () => void): void {
    this.watched.onChange(() => callback());
  }

  private get object(): k8s.V1Secret | undefined {
    return this.watched.get(this.name, this.namespace);
  }

  /** What the Secret holds as last seen, or undefined when it does not exist (or holds nothing of ours). */
  get material(): StoredMaterial | undefined {
    return materialFromSecretData(this.object?.data);
  }

  /** Creates the Secret, or replaces it at the version last seen; 'conflict' if someone wrote first. */
  async write(material: StoredMaterial): Promise<WriteOutcome> {
    const existing = this.object;
    const body: k8s.V1Secret = {
      apiVersion: 'v1',
      kind: 'Secret',
      metadata: {
        name: this.name,
        namespace: this.namespace,
        labels: { ...(existing?.metadata?.labels ?? {}), 'app.kubernetes.io/name': 'vaultgate' },
        annotations: existing?.metadata?.annotations,
        ...(existing?.metadata?.resourceVersion ? { resourceVersion: existing.metadata.resourceVersion } : {}),
      },
      // A Secret's type is immutable: keep the one it has.
      type: existing?.type ?? 'kubernetes.io/tls',
      data: secretDataFromMaterial(material),
    };
    try {
      if (existing) await this.core.replaceNamespacedSecret({ name: this.name, namespace: this.namespace, body });
      else await this.core.createNamespacedSecret({ namespace: this.namespace, body });
      return 'written';
    } catch (error) {
      // 409: changed or created since we last saw it; the watch brings the newer version.
      // 404: deleted since we last saw it; the watch brings the deletion.
      if (error instanceof k8s.ApiException && (error.code === 409 || error.code === 404)) return 'conflict';
      throw error;
    }
  }
}
