// Per-store Vault health, watched in the background: a gauge per Vault server the stores
// name, and one log line when a server goes down or comes back. Never part of /readyz: a
// store is tenant input, and one store pointing at an unreachable server must not make
// vaultgate unready (with failurePolicy Fail that would refuse every ExternalSecret write).
import type { StoreAccess } from '../core/auth.js';
import { storeAccess } from '../core/auth.js';
import type { SecretStore, StoreKind } from '../eso/types.js';
import type { Logger } from '../log.js';
import type { VaultGateway, VaultHealth } from './gateway.js';

export interface StoreSource {
  stores(): { store: SecretStore; kind: StoreKind }[];
}

export interface HealthGauge {
  setVaultUp(server: string, up: boolean): void;
  forgetVault(server: string): void;
}

export interface VaultHealthOptions {
  /** how often a server that answers is probed */
  intervalMs: number;
  /** how often a server that does not answer is probed (so recovery is noticed within seconds) */
  downIntervalMs?: number;
  /** servers probed at most; tenants can name any number of them */
  maxServers: number;
}

export class VaultHealthMonitor {
  private readonly last = new Map<string, VaultHealth>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private readonly listeners = new Set<(server: string, health: VaultHealth) => void>();

  constructor(
    private readonly source: StoreSource,
    private readonly gateway: VaultGateway,
    private readonly gauge: HealthGauge,
    private readonly options: VaultHealthOptions,
    private readonly log: Logger,
  ) {}

  private readonly probedAt = new Map<string, number>();

  start(): void {
    const tick = () => {
      this.running ??= this.probeAll().finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, Math.min(this.options.intervalMs, this.options.downIntervalMs ?? 1000));
    this.timer.unref();
  }

  /** A server is due when it is down (every tick) or its last probe is older than the interval. */
  private due(server: string, now: number): boolean {
    const last = this.probedAt.get(server);
    return last === undefined || this.last.get(server)?.up === false || now - last >= this.options.intervalMs;
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Called on every change of a server's health (e.g. so a reconciler resumes when Vault is back). */
  onChange(listener: (server: string, health: VaultHealth) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  health(server: string): VaultHealth | undefined {
    return this.last.get(server);
  }

  /** A caller saw the server fail: probe it on the fast schedule until it answers (and tell when it does). */
  suspect(server: string, reason: string): void {
    if (this.last.get(server)?.up === false || !this.last.has(server)) return;
    this.last.set(server, { up: false, reason });
    this.gauge.setVaultUp(server, false);
  }

  private connections(): Map<string, StoreAccess['connection']> {
    const byServer = new Map<string, StoreAccess['connection']>();
    for (const { store, kind } of this.source.stores()) {
      const plan = storeAccess(store, kind, store.metadata?.namespace ?? '');
      if (!plan.ok || byServer.has(plan.access.connection.server)) continue;
      if (byServer.size >= this.options.maxServers) break;
      byServer.set(plan.access.connection.server, plan.access.connection);
    }
    return byServer;
  }

  private async probeAll(): Promise<void> {
    const connections = this.connections();
    for (const server of this.last.keys()) {
      if (!connections.has(server)) {
        this.last.delete(server);
        this.probedAt.delete(server);
        this.gauge.forgetVault(server);
      }
    }
    const now = Date.now();
    await Promise.all(
      [...connections].filter(([server]) => this.due(server, now)).map(async ([server, connection]) => {
        this.probedAt.set(server, now);
        const health = await this.gateway.health(connection);
        const before = this.last.get(server);
        this.last.set(server, health);
        this.gauge.setVaultUp(server, health.up);
        if (before?.up === health.up) return;
        if (health.up) this.log.info({ vault: server }, 'Vault answers');
        else this.log.warn({ vault: server, reason: health.reason }, 'Vault does not answer');
        for (const listener of this.listeners) listener(server, health);
      }),
    );
  }
}
