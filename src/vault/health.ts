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
  intervalMs: number;
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

  start(): void {
    const tick = () => {
      this.running ??= this.probeAll().finally(() => (this.running = undefined));
    };
    tick();
    this.timer = setInterval(tick, this.options.intervalMs);
    this.timer.unref();
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
        this.gauge.forgetVault(server);
      }
    }
    await Promise.all(
      [...connections].map(async ([server, connection]) => {
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
