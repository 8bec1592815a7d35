// The reconciler, controller-runtime's loop in TypeScript: informers on ExternalSecrets
// and the Secrets they manage (and the stores, through the cluster facts) feed a work queue
// that merges events per key; workers reconcile one key at a time, level-based and
// idempotent, and requeue on the refresh schedule or with backoff. It handles the
// ExternalSecrets of Vault stores of its controller class only, so it runs beside ESO (other
// classes) or instead of it; it keeps a Secret as it is when Vault cannot be read, and wakes
// every affected ExternalSecret as soon as Vault answers again.
import * as k8s from '@kubernetes/client-node';
import { analyze, storeRefOf } from '../core/decide.js';
import { findingLine } from '../core/message.js';
import { isSecretValid, MANAGED_LABEL, refreshIntervalMs, requeueAfterMs, shouldRefresh, spreadFor, CREATED_BY_LABEL } from '../core/schedule.js';
import { targetName, type SecretState, type TemplateSources } from '../core/secretPlan.js';
import { markDone, markFailed, readyCondition, statusChanged } from '../core/status.js';
import { createdByHash } from '../core/esoHash.js';
import type { DecisionService } from '../decision/service.js';
import { ESO_GROUP, ESO_VERSION, type ExternalSecret, type SecretStore, type StoreKind } from '../eso/types.js';
import type { ClusterFacts } from '../kube/cluster.js';
import { CollectionIndex, WatchedCollection } from '../kube/informers.js';
import { ConflictError, EventRecorder, secretStateOf, SecretWriter, StatusWriter, type EventSink } from '../kube/writes.js';
import type { Logger } from '../log.js';
import type { Metrics } from '../metrics/registry.js';
import type { VaultGateway, VaultHealth } from '../vault/gateway.js';
import type { VaultHealthMonitor } from '../vault/health.js';
import { withDeadline } from '../util/deadline.js';
import { isAbandonedAdmissionSecret } from './admissionSecrets.js';
import { DEFAULT_QUEUE_OPTIONS, WorkQueue, type QueueOptions } from './queue.js';
import { decideSync, type SyncDecision } from './sync.js';

/** Wait before looking again at a key whose cache lags this process's own write; its watch event normally comes first. */
const CACHE_CATCH_UP_MS = 1000;

export interface ReconcilerOptions {
  /** stores whose spec.controller names this class are ours; "default" also takes stores naming none */
  controllerClass: string;
  /** ExternalSecrets reconciled at once */
  concurrency: number;
  /** all Vault reads of one sync must finish within this */
  vaultDeadlineMs: number;
  queue?: QueueOptions;
  /** informers are re-established this often, against watches that stall without an error */
  informerRefreshMs?: number;
  /** a Secret written at admission whose ExternalSecret was never stored is deleted after this */
  admissionGraceMs?: number;
}

export const DEFAULT_RECONCILER_OPTIONS: ReconcilerOptions = { controllerClass: 'default', concurrency: 8, vaultDeadlineMs: 10_000 };

type Outcome = { requeueAfterMs?: number; rateLimited?: boolean; forget?: boolean };

const keyOf = (namespace: string, name: string) => `${namespace}/${name}`;
const splitKey = (key: string) => {
  const slash = key.indexOf('/');
  return { namespace: key.slice(0, slash), name: key.slice(slash + 1) };
};

export class Reconciler {
  readonly externalSecrets: WatchedCollection<k8s.KubernetesObject>;
  readonly managedSecrets: WatchedCollection<k8s.V1Secret>;
  /** ExternalSecrets by "namespace/target Secret name" */
  private readonly byTarget: CollectionIndex<k8s.KubernetesObject>;
  /** managed Secrets by "namespace/created-by hash" (ESO's label naming the ExternalSecret that made them) */
  private readonly byCreator: CollectionIndex<k8s.V1Secret>;
  queue: WorkQueue;
  private readonly secrets: SecretWriter;
  private readonly statuses: StatusWriter;
  private readonly events: EventSink;
  private readonly core: k8s.CoreV1Api;
  private workers: Promise<void>[] = [];
  private running = false;
  private stopping: Promise<void> | undefined;
  private sweepTimer: NodeJS.Timeout | undefined;
  private readonly stopHealth: (() => void)[] = [];
  /** for vaultgate_vault_recovery_seconds: when a Vault came back, and whose syncs we wait for */
  private readonly recovering = new Map<string, { since: number; pending: Set<string> }>();
  /**
   * The resourceVersion each ExternalSecret had when this process last wrote its status. Seeing
   * it again in the informer means the cache has not caught up with that write yet: syncing from
   * it would read Vault and write the Secret a second time for nothing.
   */
  private readonly statusWrittenOver = new Map<string, string>();

  constructor(
    kubeConfig: k8s.KubeConfig,
    private readonly cluster: ClusterFacts,
    private readonly service: DecisionService,
    private readonly gateway: VaultGateway,
    private readonly health: VaultHealthMonitor | undefined,
    private readonly metrics: Metrics,
    private readonly options: ReconcilerOptions,
    private readonly log: Logger,
    events?: EventSink,
  ) {
    const custom = kubeConfig.makeApiClient(k8s.CustomObjectsApi);
    this.core = kubeConfig.makeApiClient(k8s.CoreV1Api);
    this.externalSecrets = new WatchedCollection(
      'ExternalSecrets',
      kubeConfig,
      `/apis/${ESO_GROUP}/${ESO_VERSION}/externalsecrets`,
      () => custom.listClusterCustomObject({ group: ESO_GROUP, version: ESO_VERSION, plural: 'externalsecrets' }) as Promise<k8s.KubernetesListObject<k8s.KubernetesObject>>,
      log,
    );
    this.managedSecrets = new WatchedCollection(
      'managed Secrets',
      kubeConfig,
      '/api/v1/secrets',
      () => this.core.listSecretForAllNamespaces({ labelSelector: `${MANAGED_LABEL}=true` }),
      log,
      { labelSelector: `${MANAGED_LABEL}=true` },
    );
    this.byTarget = this.externalSecrets.index((es) => [`${es.metadata?.namespace ?? ''}/${targetName(es as ExternalSecret)}`]);
    this.byCreator = this.managedSecrets.index((secret) => {
      const hash = secret.metadata?.labels?.[CREATED_BY_LABEL];
      return hash ? [`${secret.metadata?.namespace ?? ''}/${hash}`] : [];
    });
    this.queue = this.newQueue();
    this.secrets = new SecretWriter(kubeConfig);
    this.statuses = new StatusWriter(kubeConfig);
    this.events = events ?? new EventRecorder(kubeConfig, 'vaultgate', (error) => log.warn({ err: describe(error) }, 'could not record an event'));
    this.externalSecrets.onChange((object) => this.queue.add(keyOf(object.metadata?.namespace ?? '', object.metadata?.name ?? '')));
    this.externalSecrets.onList(() => this.enqueueAll());
    this.managedSecrets.onChange((secret) => this.enqueueOwnersOf(secret));
    // A policy change may revoke (or grant) access: every mapping is judged again at once.
    cluster.policies.onChange(() => this.enqueueAll());
    cluster.clusterSecretStores.onChange((store) => this.enqueueUsersOf('ClusterSecretStore', store.metadata?.name ?? ''));
    cluster.secretStores.onChange((store) => this.enqueueUsersOf('SecretStore', store.metadata?.name ?? '', store.metadata?.namespace));
  }

  private enqueueUsersOf(kind: StoreKind, storeName: string, namespace?: string): void {
    for (const object of this.externalSecrets.list(namespace)) {
      const ref = storeRefOf(object);
      if (ref.kind === kind && ref.name === storeName) this.queue.add(keyOf(object.metadata?.namespace ?? '', object.metadata?.name ?? ''));
    }
  }

  get synced(): boolean {
    return this.externalSecrets.synced && this.managedSecrets.synced;
  }

  get problems(): string[] {
    return [this.externalSecrets.problem, this.managedSecrets.problem].filter((p): p is string => p !== undefined);
  }

  private newQueue(): WorkQueue {
    return new WorkQueue(this.options.queue ?? DEFAULT_QUEUE_OPTIONS, {
      depth: (n) => this.metrics.queueDepth.set(n),
      waited: (seconds) => this.metrics.queueWait.observe(seconds),
    });
  }

  async start(): Promise<void> {
    await this.stopping;
    if (this.running) return;
    this.running = true;
    this.queue = this.newQueue();
    const refresh = this.options.informerRefreshMs ?? 300_000;
    await Promise.all([this.externalSecrets.start(refresh), this.managedSecrets.start(refresh)]);
    if (this.health) this.stopHealth.push(this.health.onChange((server, health) => this.vaultChanged(server, health)));
    this.workers = Array.from({ length: Math.max(1, this.options.concurrency) }, () => this.work());
    this.enqueueAll();
    const grace = this.options.admissionGraceMs ?? 30_000;
    this.sweepTimer = setInterval(() => void this.sweepAbandoned(grace), Math.max(1000, grace / 3));
    this.sweepTimer.unref();
  }

  /** Secrets written at admission for ExternalSecrets that were never stored (whatever their class). */
  private async sweepAbandoned(graceMs: number): Promise<void> {
    const externalSecrets = this.externalSecrets.list() as ExternalSecret[];
    for (const secret of this.managedSecrets.list()) {
      if (!isAbandonedAdmissionSecret(secret, externalSecrets, Date.now(), graceMs)) continue;
      const { namespace = '', name = '', uid } = secret.metadata ?? {};
      this.log.info({ secret: `${namespace}/${name}` }, 'deleting a Secret written at admission whose ExternalSecret was never stored');
      await this.secrets.delete(namespace, name, uid).catch((error: unknown) => this.log.warn({ err: describe(error) }, 'could not delete an abandoned Secret'));
    }
  }

  /** Stops taking keys, lets the workers finish the ones they hold, then stops watching. */
  stop(): Promise<void> {
    if (!this.running) return this.stopping ?? Promise.resolve();
    this.running = false;
    clearInterval(this.sweepTimer);
    for (const stop of this.stopHealth.splice(0)) stop();
    this.queue.shutDown();
    this.stopping = (async () => {
      await Promise.all(this.workers);
      await Promise.all([this.externalSecrets.stop(), this.managedSecrets.stop()]);
    })();
    return this.stopping;
  }

  private enqueueAll(): void {
    for (const object of this.externalSecrets.list()) this.queue.add(keyOf(object.metadata?.namespace ?? '', object.metadata?.name ?? ''));
  }

  /** A managed Secret changed or went: every ExternalSecret targeting it looks again (drift is reverted). */
  private enqueueOwnersOf(secret: k8s.V1Secret): void {
    const namespace = secret.metadata?.namespace ?? '';
    for (const object of this.byTarget.get(`${namespace}/${secret.metadata?.name ?? ''}`)) this.queue.add(keyOf(namespace, object.metadata?.name ?? ''));
  }

  /** Vault answers again: its ExternalSecrets sync now, not after their backoff. */
  private vaultChanged(server: string, health: VaultHealth): void {
    if (!health.up) return;
    const keys = new Set<string>();
    for (const object of this.externalSecrets.list()) {
      const es = object as ExternalSecret;
      const store = this.storeOf(es);
      if (store?.spec?.provider?.vault?.server?.replace(/\/+$/, '') !== server) continue;
      const key = keyOf(es.metadata?.namespace ?? '', es.metadata?.name ?? '');
      keys.add(key);
      this.queue.forget(key);
      this.queue.add(key);
    }
    if (keys.size > 0) this.recovering.set(server, { since: Date.now(), pending: keys });
    this.log.info({ vault: server, externalSecrets: keys.size }, 'Vault answers again; syncing its ExternalSecrets now');
  }

  private noteRecovered(key: string): void {
    for (const [server, recovery] of this.recovering) {
      if (!recovery.pending.delete(key)) continue;
      if (recovery.pending.size === 0) {
        this.metrics.vaultRecovery.observe((Date.now() - recovery.since) / 1000);
        this.recovering.delete(server);
      }
    }
  }

  private async work(): Promise<void> {
    for (;;) {
      const item = await this.queue.get();
      if (item === undefined) return;
      const { key } = item;
      let outcome: Outcome;
      try {
        outcome = await this.reconcile(key, item.addedAt);
      } catch (error) {
        this.log.warn({ key, err: describe(error) }, 'reconcile failed; retrying with backoff');
        outcome = error instanceof ConflictError ? { requeueAfterMs: 0 } : { rateLimited: true };
      }
      if (outcome.rateLimited) this.queue.addRateLimited(key);
      else {
        this.noteRecovered(key);
        if (outcome.forget !== false) this.queue.forget(key);
        if (outcome.requeueAfterMs !== undefined) this.queue.addAfter(key, outcome.requeueAfterMs);
      }
      this.queue.done(key);
    }
  }

  private storeOf(es: ExternalSecret): SecretStore | undefined {
    const ref = storeRefOf(es);
    const store = this.cluster.store(ref.kind as StoreKind, ref.name, es.metadata?.namespace ?? '');
    return store.state === 'ok' ? store.value : undefined;
  }

  /** ESO's class rule, except that a store naming no class is ours only in the default class (never two writers beside ESO). */
  handles(es: ExternalSecret): boolean {
    const ref = storeRefOf(es);
    const store = this.cluster.store(ref.kind as StoreKind, ref.name, es.metadata?.namespace ?? '');
    if (store.state === 'missing') return this.options.controllerClass === 'default';
    if (store.state !== 'ok') return false;
    if (!store.value.spec?.provider?.vault) return false;
    const controller = store.value.spec.controller ?? '';
    return controller === this.options.controllerClass || (controller === '' && this.options.controllerClass === 'default');
  }

  /** One key: read the current state, converge, and say when to look again. */
  async reconcile(key: string, askedAt = Date.now()): Promise<Outcome> {
    const started = Date.now();
    const { namespace, name } = splitKey(key);
    const es = this.externalSecrets.get(name, namespace) as ExternalSecret | undefined;
    if (!es) {
      this.metrics.forgetExternalSecret(name, namespace);
      this.statusWrittenOver.delete(key);
      return {};
    }
    if (es.metadata?.deletionTimestamp || !this.handles(es)) return {};
    if (this.cacheBehindOwnWrite(key, es)) return { requeueAfterMs: CACHE_CATCH_UP_MS };
    this.metrics.esSyncCalls.inc({ name, namespace });
    try {
      return await this.sync(es, started, askedAt);
    } finally {
      this.metrics.esReconcileDuration.set({ name, namespace }, (Date.now() - started) * 1e6);
    }
  }

  private spreadMs(es: ExternalSecret, questionIds: string[]): number {
    // ExternalSecrets that read the same paths fire together (one read), different ones spread out.
    return spreadFor(`${JSON.stringify(storeRefOf(es))}|${[...questionIds].sort().join(',')}`, refreshIntervalMs(es));
  }

  private async currentSecret(namespace: string, name: string): Promise<SecretState | undefined> {
    const cached = this.managedSecrets.get(name, namespace);
    return cached ? secretStateOf(cached) : this.secrets.read(namespace, name);
  }

  private async sync(es: ExternalSecret, started: number, askedAt: number): Promise<Outcome> {
    const namespace = es.metadata?.namespace ?? '';
    const name = es.metadata?.name ?? '';
    const target = targetName(es);
    const current = await this.currentSecret(namespace, target);
    if (current && current.labels[MANAGED_LABEL] !== 'true') {
      // ESO's adoption step, then a fresh look at the now-labelled Secret.
      await this.secrets.markManaged(namespace, target, name);
      return { requeueAfterMs: 0 };
    }
    const analysis = analyze({ ...this.service.facts(storeRefOf(es), namespace), externalSecret: es });
    const questionIds = analysis.vault?.questions.map((q) => q.id) ?? [];
    // Judged on every look, due or not: a policy change revokes access without waiting for the interval.
    if (!analysis.early.allowed) return this.act(es, { kind: 'denied', verdict: analysis.early }, current, started, questionIds);
    const failing = readyCondition(es)?.status === 'False';
    if (!failing && !shouldRefresh(es, started) && isSecretValid(current, es)) {
      return this.requeue(es, started, questionIds);
    }
    const values = analysis.vault ? await withDeadline(this.gateway.values(analysis.vault, askedAt), this.options.vaultDeadlineMs, 'Vault reads').catch(() => new Map()) : new Map();
    const sources = await this.templateSources(es);
    const decision = decideSync({ es, analysis, values, current, sources });
    return this.act(es, decision, current, started, questionIds);
  }

  private async act(es: ExternalSecret, decision: SyncDecision, current: SecretState | undefined, started: number, questionIds: string[]): Promise<Outcome> {
    const namespace = es.metadata?.namespace ?? '';
    const name = es.metadata?.name ?? '';
    const target = targetName(es);
    if (decision.kind === 'denied' && decision.verdict.violations.some((v) => v.check === 'unavailable')) {
      const server = this.storeOf(es)?.spec?.provider?.vault?.server?.replace(/\/+$/, '');
      if (server) this.health?.suspect(server, 'a sync could not read it');
    }
    if (decision.kind === 'denied' || decision.kind === 'failed') {
      const lines = decision.kind === 'denied' ? decision.verdict.violations.map(findingLine) : [decision.message];
      const reason = decision.kind === 'denied' ? `could not get secret data from provider: ${lines[0] ?? ''}${lines.length > 1 ? ` (and ${lines.length - 1} more)` : ''}` : decision.reason;
      this.events.record(es, 'Warning', 'UpdateFailed', lines.join('\n'));
      this.metrics.esSyncErrors.inc({ name, namespace });
      await this.writeStatus(es, markFailed(es, reason, Date.now()));
      this.metrics.setReady(name, namespace, false);
      const retry = decision.kind === 'denied' || decision.retry;
      return retry ? { rateLimited: true } : { forget: true };
    }
    for (const message of decision.missing) this.events.record(es, 'Normal', 'MissingProviderSecret', message);
    let status;
    switch (decision.kind) {
      case 'create':
        if (es.spec?.target?.creationPolicy !== 'Merge' && (es.spec?.target?.creationPolicy ?? 'Owner') === 'Owner') await this.deleteOrphans(es);
        await this.secrets.create(decision.secret, name);
        this.events.record(es, 'Normal', 'Created', 'secret created');
        status = markDone(es, 'SecretSynced', 'secret synced', started, target);
        break;
      case 'update':
        if ((es.spec?.target?.creationPolicy ?? 'Owner') === 'Owner') await this.deleteOrphans(es);
        await this.secrets.update(decision.secret, name);
        this.events.record(es, 'Normal', 'Updated', 'secret updated');
        status = markDone(es, 'SecretSynced', 'secret synced', started, target);
        break;
      case 'unchanged':
        status = markDone(es, 'SecretSynced', 'secret synced', started, target);
        break;
      case 'delete':
        await this.secrets.delete(namespace, target, current?.uid);
        this.events.record(es, 'Normal', 'Deleted', 'secret deleted due to DeletionPolicy=Delete');
        status = markDone(es, 'SecretDeleted', 'secret deleted due to DeletionPolicy=Delete', started);
        break;
      case 'done':
        status = markDone(es, decision.reason, decision.message, started);
        break;
    }
    const written = await this.writeStatus(es, status);
    this.metrics.setReady(name, namespace, true);
    return this.requeue(written, started, questionIds);
  }

  private requeue(es: ExternalSecret, now: number, questionIds: string[]): Outcome {
    const after = requeueAfterMs(es, now, this.spreadMs(es, questionIds));
    return after === undefined ? {} : { requeueAfterMs: after };
  }

  private async writeStatus(es: ExternalSecret, status: NonNullable<ExternalSecret['status']>): Promise<ExternalSecret> {
    if (!statusChanged(es.status, status)) return es;
    const written = await this.statuses.write(es, status);
    const before = es.metadata?.resourceVersion;
    if (before) this.statusWrittenOver.set(keyOf(es.metadata?.namespace ?? '', es.metadata?.name ?? ''), before);
    return written;
  }

  /** The informer still holds the version this process wrote over (its watch event is on the way). */
  private cacheBehindOwnWrite(key: string, es: ExternalSecret): boolean {
    const over = this.statusWrittenOver.get(key);
    if (over === undefined) return false;
    if (over === es.metadata?.resourceVersion) return true;
    this.statusWrittenOver.delete(key);
    return false;
  }

  /** ESO's deleteOrphanedSecrets: Secrets this ExternalSecret created under another name (target renamed). */
  private async deleteOrphans(es: ExternalSecret): Promise<void> {
    const namespace = es.metadata?.namespace ?? '';
    const hash = createdByHash(namespace, es.metadata?.name ?? '');
    for (const secret of this.byCreator.get(`${namespace}/${hash}`)) {
      if (secret.metadata?.name === targetName(es)) continue;
      await this.secrets.delete(namespace, secret.metadata?.name ?? '', secret.metadata?.uid);
      this.events.record(es, 'Normal', 'Deleted', 'secret deleted because it was orphaned');
    }
  }

  /** templateFrom reads ConfigMaps and Secrets of the ExternalSecret's namespace; fetched before planning. */
  private async templateSources(es: ExternalSecret): Promise<TemplateSources> {
    const namespace = es.metadata?.namespace ?? '';
    const configMaps = new Map<string, Record<string, string> | undefined>();
    const secrets = new Map<string, Record<string, Uint8Array> | undefined>();
    for (const entry of es.spec?.target?.template?.templateFrom ?? []) {
      if (entry.configMap?.name && !configMaps.has(entry.configMap.name)) {
        // Only "not found" is ESO's templateFrom error; any other failure retries this reconcile with its cause.
        const configMap = await this.core.readNamespacedConfigMap({ namespace, name: entry.configMap.name }).catch((error: unknown) => {
          if (error instanceof k8s.ApiException && error.code === 404) return undefined;
          throw error;
        });
        configMaps.set(entry.configMap.name, configMap ? (configMap.data ?? {}) : undefined);
      }
      if (entry.secret?.name && !secrets.has(entry.secret.name)) {
        secrets.set(entry.secret.name, (await this.secrets.read(namespace, entry.secret.name))?.data);
      }
    }
    return { configMap: (name) => configMaps.get(name), secret: (name) => secrets.get(name) };
  }
}

function describe(error: unknown): string {
  if (error instanceof k8s.ApiException) return `HTTP ${error.code}`;
  return error instanceof Error ? error.message : String(error);
}
