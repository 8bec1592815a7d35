// Watched, in-memory copies of the cluster objects every admission decision reads
// (namespaces, stores, path policies) and the reconciler works from (ExternalSecrets, the
// Secrets they manage), so a decision costs no API round trip. An informer that fails is
// restarted with backoff (client-node's stops on any error but 410); one that may have
// stalled silently is re-established on a timer. Until its first list succeeds it reports
// "not synced" and decisions depending on it fail closed (or open, if asked).
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';

export class WatchedCollection<T extends k8s.KubernetesObject> {
  private readonly informer: k8s.Informer<T> & k8s.ObjectCache<T>;
  private everListed = false;
  private lastError: string | undefined;
  private stopped = false;
  private retryTimer: NodeJS.Timeout | undefined;
  private backoffMs = 500;

  private refreshTimer: NodeJS.Timeout | undefined;
  private readonly listeners = new Set<() => void>();

  constructor(
    readonly what: string,
    kubeConfig: k8s.KubeConfig,
    path: string,
    list: () => Promise<k8s.KubernetesListObject<T>>,
    private readonly log: Logger,
    /** the same selectors the list function uses (a name field selector lets RBAC scope the watch by resourceNames) */
    selectors: { labelSelector?: string; fieldSelector?: string } = {},
  ) {
    // makeInformer without its autostart, plus the field selector it does not pass on.
    this.informer = new k8s.ListWatch<T>(
      path,
      new k8s.Watch(kubeConfig),
      async () => {
        const result = await list();
        this.everListed = true;
        this.lastError = undefined;
        this.backoffMs = 500;
        for (const listener of this.listeners) listener();
        return result;
      },
      false,
      selectors.labelSelector,
      selectors.fieldSelector,
    );
    this.informer.on('error', (error: unknown) => this.restartLater(error));
  }

  /** Calls back on every add, update and delete (with the object as it now is, or was). */
  onChange(handler: (object: T, event: 'add' | 'update' | 'delete') => void): void {
    this.informer.on('add', (object) => handler(object, 'add'));
    this.informer.on('update', (object) => handler(object, 'update'));
    this.informer.on('delete', (object) => handler(object, 'delete'));
  }

  /**
   * Objects by a key derived from them (controller-runtime's field index), kept current from
   * this collection's events, so a lookup costs no scan. Add indexes before start().
   */
  index(keysOf: (object: T) => string[]): CollectionIndex<T> {
    const index = new CollectionIndex<T>(keysOf);
    this.onChange((object, event) => (event === 'delete' ? index.remove(object) : index.put(object)));
    return index;
  }

  /** Calls back after every full list (start, 410, restart): a level-based consumer re-reads everything. */
  onList(listener: () => void): void {
    this.listeners.add(listener);
  }

  async start(refreshEveryMs?: number): Promise<void> {
    this.stopped = false;
    await this.informer.start();
    if (refreshEveryMs) {
      // A watch can stall without an error (a half-open connection): re-establish it on a timer.
      this.refreshTimer = setInterval(() => void this.reestablish(), refreshEveryMs);
      this.refreshTimer.unref();
    }
  }

  private async reestablish(): Promise<void> {
    if (this.stopped) return;
    try {
      await this.informer.stop();
      if (!this.stopped) await this.informer.start();
    } catch (error) {
      this.restartLater(error);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    clearInterval(this.refreshTimer);
    await this.informer.stop();
  }

  get synced(): boolean {
    return this.everListed;
  }

  /** Why the collection cannot be trusted yet, or undefined when it can. */
  get problem(): string | undefined {
    if (this.everListed) return undefined;
    return this.lastError ? `${this.what} not available: ${this.lastError}` : `${this.what} not synced yet`;
  }

  get(name: string, namespace?: string): T | undefined {
    return this.informer.get(name, namespace);
  }

  list(namespace?: string): readonly T[] {
    return this.informer.list(namespace);
  }

  private restartLater(error: unknown): void {
    if (this.stopped) return;
    this.lastError = describeKubeError(error);
    this.log.warn({ what: this.what, error: this.lastError }, 'watch failed; restarting');
    clearTimeout(this.retryTimer);
    this.retryTimer = setTimeout(() => {
      if (!this.stopped) void this.informer.start().catch(() => undefined);
    }, this.backoffMs);
    this.retryTimer.unref();
    this.backoffMs = Math.min(this.backoffMs * 2, 30_000);
  }
}

export class CollectionIndex<T extends k8s.KubernetesObject> {
  private readonly byKey = new Map<string, Map<string, T>>();
  private readonly keysByObject = new Map<string, string[]>();

  constructor(private readonly keysOf: (object: T) => string[]) {}

  get(key: string): T[] {
    return [...(this.byKey.get(key)?.values() ?? [])];
  }

  put(object: T): void {
    this.remove(object);
    const id = objectId(object);
    const keys = this.keysOf(object);
    this.keysByObject.set(id, keys);
    for (const key of keys) {
      let objects = this.byKey.get(key);
      if (!objects) this.byKey.set(key, (objects = new Map()));
      objects.set(id, object);
    }
  }

  remove(object: T): void {
    const id = objectId(object);
    for (const key of this.keysByObject.get(id) ?? []) {
      const objects = this.byKey.get(key);
      objects?.delete(id);
      if (objects?.size === 0) this.byKey.delete(key);
    }
    this.keysByObject.delete(id);
  }
}

const objectId = (object: k8s.KubernetesObject) => `${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? ''}`;

export function describeKubeError(error: unknown): string {
  if (error instanceof k8s.ApiException) {
    const body = typeof error.body === 'string' ? error.body : '';
    const message = /"message":"([^"]*)"/.exec(body)?.[1];
    return `HTTP ${error.code}${message ? `: ${message}` : ''}`;
  }
  if (error instanceof Error) return error.message;
  return String(error);
}
