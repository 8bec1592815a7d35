// One Lease per running replica (as kube-apiserver keeps its identity Leases), renewed on a
// heartbeat and annotated with the fingerprint of the certificate the replica serves, so
// the certificate leader knows when every live replica has moved to a new CA. A replica
// counts as live until its Lease has gone unrenewed for its duration, measured on the
// watcher's own clock from when it last saw the Lease change (clock skew does not matter).
// Invariant: a replica writes only its own Lease, and deletes it on a clean shutdown.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import type { ReplicaReport } from '../tls/plan.js';
import { describeKubeError, WatchedCollection } from './informers.js';

export const REPLICA_LABEL = 'vaultgate.dev/replica-of';
export const SERVING_ANNOTATION = 'vaultgate.dev/serving-certificate-sha256';

export interface ReplicaLeaseOptions {
  namespace: string;
  /** the group's name (the leader Lease's); replicas' Leases are named after it */
  group: string;
  identity: string;
  durationMs: number;
  heartbeatMs: number;
}

export const DEFAULT_REPLICA_TIMING = { durationMs: 30_000, heartbeatMs: 10_000 };

/** A Lease name from a group and an identity: lower-case DNS label characters, at most 63. */
export function replicaLeaseName(group: string, identity: string): string {
  const cleaned = `${group}-${identity}`.toLowerCase().replace(/[^a-z0-9-]+/g, '-').replace(/^-+|-+$/g, '');
  return cleaned.slice(0, 63).replace(/-+$/, '');
}

export class ReplicaLeases {
  private readonly api: k8s.CoordinationV1Api;
  private readonly watched: WatchedCollection<k8s.V1Lease>;
  private readonly ownName: string;
  /** when (our clock) each Lease was last seen to change */
  private readonly seenAt = new Map<string, { version: string; at: number }>();
  private serving: string | undefined;
  private timer: NodeJS.Timeout | undefined;
  private stopped = true;
  private writing: Promise<void> = Promise.resolve();

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly options: ReplicaLeaseOptions,
    private readonly log: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(k8s.CoordinationV1Api);
    this.ownName = replicaLeaseName(options.group, options.identity);
    const labelSelector = `${REPLICA_LABEL}=${options.group}`;
    this.watched = new WatchedCollection<k8s.V1Lease>(
      `replica Leases of ${options.group}`,
      kubeConfig,
      `/apis/coordination.k8s.io/v1/namespaces/${options.namespace}/leases`,
      () => this.api.listNamespacedLease({ namespace: options.namespace, labelSelector }),
      log,
      { labelSelector },
    );
    this.watched.onChange((lease) => this.noteChange(lease));
  }

  async start(): Promise<void> {
    this.stopped = false;
    await this.watched.start();
    this.beat();
  }

  onChange(callback: () => void): void {
    this.watched.onChange(() => callback());
  }

  /** Records what this replica now serves and publishes it at once. */
  report(fingerprint: string): void {
    if (fingerprint === this.serving) return;
    this.serving = fingerprint;
    if (!this.stopped) this.beat();
  }

  /** Every replica whose Lease is still live, by our clock; undefined until watched. */
  reports(now = Date.now()): ReplicaReport[] | undefined {
    if (!this.watched.synced) return undefined;
    const reports: ReplicaReport[] = [];
    for (const lease of this.watched.list(this.options.namespace)) {
      const name = lease.metadata?.name ?? '';
      const seen = this.seenAt.get(name);
      const durationMs = (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
      const expiresAt = (seen?.at ?? now) + durationMs;
      if (expiresAt <= now) continue;
      reports.push({ identity: lease.spec?.holderIdentity ?? name, serving: lease.metadata?.annotations?.[SERVING_ANNOTATION], expiresAt });
    }
    return reports;
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.writing;
    await this.watched.stop();
    await this.api.deleteNamespacedLease({ name: this.ownName, namespace: this.options.namespace }).catch((error: unknown) => {
      if (!(error instanceof k8s.ApiException && error.code === 404)) this.log.warn({ error: describeKubeError(error) }, 'could not delete the replica Lease');
    });
  }

  private noteChange(lease: k8s.V1Lease): void {
    const name = lease.metadata?.name ?? '';
    const version = `${lease.spec?.renewTime ? String(lease.spec.renewTime) : ''}|${lease.metadata?.annotations?.[SERVING_ANNOTATION] ?? ''}`;
    if (this.seenAt.get(name)?.version !== version) this.seenAt.set(name, { version, at: Date.now() });
  }

  /** Writes our Lease now (serialised with any write under way), then again after a heartbeat. */
  private beat(): void {
    clearTimeout(this.timer);
    this.writing = this.writing.then(() => this.writeOwnLease()).catch((error: unknown) => {
      this.log.warn({ error: describeKubeError(error) }, 'could not renew the replica Lease');
    });
    this.timer = setTimeout(() => this.beat(), this.options.heartbeatMs);
    this.timer.unref();
  }

  private async writeOwnLease(): Promise<void> {
    if (this.stopped) return;
    const { namespace, group, identity, durationMs } = this.options;
    const metadata: k8s.V1ObjectMeta = {
      name: this.ownName,
      namespace,
      labels: { [REPLICA_LABEL]: group, 'app.kubernetes.io/name': 'vaultgate' },
      annotations: this.serving ? { [SERVING_ANNOTATION]: this.serving } : {},
    };
    // Lease times are MicroTime: a plain Date serialises with milliseconds, which the apiserver refuses.
    const spec: k8s.V1LeaseSpec = { holderIdentity: identity, leaseDurationSeconds: Math.ceil(durationMs / 1000), renewTime: new k8s.V1MicroTime() };
    const existing = this.watched.get(this.ownName, namespace);
    try {
      if (existing) {
        await this.api.replaceNamespacedLease({ name: this.ownName, namespace, body: { metadata: { ...metadata, resourceVersion: existing.metadata?.resourceVersion }, spec } });
      } else {
        await this.api.createNamespacedLease({ namespace, body: { metadata, spec: { ...spec, acquireTime: new k8s.V1MicroTime() } } });
      }
    } catch (error) {
      // Our view was stale (409) or the Lease is gone (404): read it fresh and write once more.
      if (!(error instanceof k8s.ApiException) || (error.code !== 409 && error.code !== 404)) throw error;
      const fresh = await this.api.readNamespacedLease({ name: this.ownName, namespace }).catch(() => undefined);
      if (fresh) await this.api.replaceNamespacedLease({ name: this.ownName, namespace, body: { metadata: { ...metadata, resourceVersion: fresh.metadata?.resourceVersion }, spec } });
      else await this.api.createNamespacedLease({ namespace, body: { metadata, spec: { ...spec, acquireTime: new k8s.V1MicroTime() } } });
    }
  }
}
