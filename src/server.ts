// Composition root: wires the Kubernetes adapter, the Vault adapter, the decision service,
// TLS and the HTTP layer into one running webhook server, and takes it down gracefully.
import { setTimeout as sleep } from 'node:timers/promises';
import type * as k8s from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { DEFAULT_LIMITS, type DecisionLimits, type FailureMode } from './core/facts.js';
import { DecisionService } from './decision/service.js';
import { ClusterFacts } from './kube/cluster.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/registry.js';
import { buildApp, drainConnections, reloadTls } from './http/app.js';
import { startMetricsListener } from './http/metricsServer.js';
import { startServingTls, type ServingTls, type TlsSource } from './tls/serving.js';
import { VaultGateway } from './vault/gateway.js';
import { VaultHealthMonitor } from './vault/health.js';

export type { TlsSource } from './tls/serving.js';

export interface ServerConfig {
  kubeConfig: k8s.KubeConfig;
  host: string;
  port: number;
  ownNamespace: string;
  tls: TlsSource;
  /** webhook configurations to patch the generated CA into (secret mode) */
  webhookConfigName?: string;
  /** a plain-HTTP listener serving only /metrics (for a ServiceMonitor); none when absent */
  metricsPort?: number;
  failureMode: FailureMode;
  requirePathPolicy: boolean;
  vaultTimeoutMs: number;
  vaultCacheTtlMs: number;
  /** all Vault calls of one admission decision; must stay inside the webhook's timeoutSeconds */
  decisionDeadlineMs: number;
  /** bounds on the work one ExternalSecret may cause */
  limits?: DecisionLimits;
  /** how often each store's Vault is probed for the vaultgate_vault_up metric */
  vaultHealthIntervalMs?: number;
  logLevel: string;
}

export interface RunningServer {
  app: FastifyInstance;
  port: number;
  url: string;
  metrics: Metrics;
  gateway: VaultGateway;
  cluster: ClusterFacts;
  service: DecisionService;
  health: VaultHealthMonitor;
  tls: ServingTls;
  metricsPort: number | undefined;
  /**
   * Graceful stop: unready at once, certificate leadership released, keep-alive connections
   * told to close, `delayMs` more of serving (so endpoints stop sending here), then no new
   * connections while in-flight admissions finish, all within `timeoutMs`.
   */
  shutdown(options?: ShutdownOptions): Promise<void>;
  /** shutdown() without the delay */
  close(): Promise<void>;
}

export interface ShutdownOptions {
  delayMs?: number;
  timeoutMs?: number;
}

export const DEFAULTS = {
  port: 8443,
  host: '0.0.0.0',
  failureMode: 'closed' as FailureMode,
  // The webhooks' timeoutSeconds is 5: a decision ends within 4 s, and each Vault call
  // within 1 s, so a login, a capability check and two reads fit one after the other.
  vaultTimeoutMs: 1000,
  vaultCacheTtlMs: 10_000,
  decisionDeadlineMs: 4000,
  vaultHealthIntervalMs: 15_000,
  shutdownDelayMs: 0,
  /** inside the Deployment's terminationGracePeriodSeconds (30) */
  shutdownTimeoutMs: 20_000,
};

/** Closes the app, waiting for in-flight requests until the deadline, then cutting what is left. */
async function closeBefore(app: FastifyInstance, deadline: number): Promise<void> {
  const force = setTimeout(() => (app.server as { closeAllConnections?: () => void }).closeAllConnections?.(), Math.max(deadline - Date.now(), 0));
  try {
    await app.close();
  } finally {
    clearTimeout(force);
  }
}

export async function startServer(config: ServerConfig, metrics = new Metrics()): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const log = logger as unknown as Logger;
  const tls = await startServingTls(config.tls, { kubeConfig: config.kubeConfig, webhookConfigName: config.webhookConfigName, metrics, log });
  const cluster = new ClusterFacts(config.kubeConfig, { secretCacheTtlMs: config.vaultCacheTtlMs, timeoutMs: config.vaultTimeoutMs }, log);
  const gateway = new VaultGateway(cluster, { timeoutMs: config.vaultTimeoutMs, cacheTtlMs: config.vaultCacheTtlMs, metrics }, log);
  const service = new DecisionService(cluster, gateway, {
    failureMode: config.failureMode,
    requirePathPolicy: config.requirePathPolicy,
    vaultDeadlineMs: config.decisionDeadlineMs,
    limits: config.limits ?? DEFAULT_LIMITS,
  });
  const health = new VaultHealthMonitor(cluster, gateway, metrics, { intervalMs: config.vaultHealthIntervalMs ?? DEFAULTS.vaultHealthIntervalMs, maxServers: 200 }, log);

  let serving = false;
  let shuttingDown = false;
  // Only vaultgate's own state: never a tenant's store or its Vault.
  const readiness = async (): Promise<string[]> => {
    const problems: string[] = [];
    if (shuttingDown) problems.push('shutting down');
    if (!serving) problems.push('TLS listener not serving yet');
    problems.push(...tls.problems());
    problems.push(...cluster.problems);
    return problems;
  };

  const running = buildApp({ evaluator: service, metrics, failureMode: config.failureMode, tls: tls.initial, readiness, logger });
  await cluster.start();
  await running.listen({ host: config.host, port: config.port });
  serving = true;
  tls.follow((pair) => reloadTls(running, pair));
  health.start();
  const address = running.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  const metricsListener = config.metricsPort === undefined ? undefined : await startMetricsListener(metrics.registry, config.host, config.metricsPort);

  let stopping: Promise<void> | undefined;
  const shutdown = (options: ShutdownOptions = {}): Promise<void> => {
    stopping ??= (async () => {
      const deadline = Date.now() + (options.timeoutMs ?? DEFAULTS.shutdownTimeoutMs);
      shuttingDown = true;
      drainConnections(running);
      log.info({ delayMs: options.delayMs ?? 0 }, 'shutting down: unready, draining connections');
      // The Leases go first, so another replica takes over certificate duties at once.
      const tlsStopped = tls.stop().catch((error: unknown) => log.warn({ err: error }, 'stopping TLS upkeep failed'));
      await sleep(Math.min(options.delayMs ?? 0, Math.max(deadline - Date.now(), 0)));
      await closeBefore(running, deadline);
      await metricsListener?.close();
      await health.stop();
      await cluster.stop();
      await tlsStopped;
      log.info({}, 'stopped');
    })();
    return stopping;
  };

  return {
    app: running,
    port,
    url: `https://127.0.0.1:${port}`,
    metrics,
    gateway,
    cluster,
    service,
    health,
    tls,
    metricsPort: metricsListener?.port,
    shutdown,
    close: () => shutdown({ delayMs: 0 }),
  };
}
