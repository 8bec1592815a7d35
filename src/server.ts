// Composition root: wires the Kubernetes adapter, the Vault adapter, the decision service,
// TLS and the HTTP layer into one running webhook server.
import { readFile } from 'node:fs/promises';
import type * as k8s from '@kubernetes/client-node';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { FailureMode } from './core/facts.js';
import { DecisionService } from './decision/service.js';
import { ClusterFacts } from './kube/cluster.js';
import type { Logger } from './log.js';
import { Metrics } from './metrics/registry.js';
import { buildApp, reloadTls } from './http/app.js';
import { ensureServingSecret, patchCaBundle, serviceDnsNames, watchCertificateFiles, type ServingMaterial } from './tls/provision.js';
import { VaultGateway } from './vault/gateway.js';

export type TlsSource =
  | { mode: 'files'; certFile: string; keyFile: string }
  | { mode: 'secret'; namespace: string; secretName: string; serviceName: string }
  | { mode: 'provided'; key: string; cert: string };

export interface ServerConfig {
  kubeConfig: k8s.KubeConfig;
  host: string;
  port: number;
  ownNamespace: string;
  tls: TlsSource;
  /** webhook configurations to patch the generated CA into (secret mode) */
  webhookConfigName?: string;
  failureMode: FailureMode;
  requirePathPolicy: boolean;
  vaultTimeoutMs: number;
  vaultCacheTtlMs: number;
  /** all Vault calls of one admission decision; must stay inside the webhook's timeoutSeconds */
  decisionDeadlineMs: number;
  logLevel: string;
}

export interface RunningServer {
  app: FastifyInstance;
  port: number;
  url: string;
  metrics: Metrics;
  gateway: VaultGateway;
  cluster: ClusterFacts;
  close(): Promise<void>;
}

export const DEFAULTS = {
  port: 8443,
  host: '0.0.0.0',
  failureMode: 'closed' as FailureMode,
  vaultTimeoutMs: 2000,
  vaultCacheTtlMs: 10_000,
  decisionDeadlineMs: 7000,
};

async function initialTls(config: ServerConfig, log: Logger): Promise<ServingMaterial | { key: string; cert: string }> {
  switch (config.tls.mode) {
    case 'provided':
      return { key: config.tls.key, cert: config.tls.cert };
    case 'files': {
      const [cert, key] = await Promise.all([readFile(config.tls.certFile, 'utf8'), readFile(config.tls.keyFile, 'utf8')]);
      return { key, cert };
    }
    case 'secret':
      return ensureServingSecret(config.kubeConfig, config.tls.namespace, config.tls.secretName, serviceDnsNames(config.tls.serviceName, config.tls.namespace), log);
  }
}

export async function startServer(config: ServerConfig, metrics = new Metrics()): Promise<RunningServer> {
  const logger = pino({ level: config.logLevel, redact: ['req.headers.authorization'] });
  const log = logger as unknown as Logger;
  const tls = await initialTls(config, log);
  const cluster = new ClusterFacts(config.kubeConfig, { secretCacheTtlMs: config.vaultCacheTtlMs, timeoutMs: config.vaultTimeoutMs }, log);
  const gateway = new VaultGateway(cluster, { timeoutMs: config.vaultTimeoutMs, cacheTtlMs: config.vaultCacheTtlMs, metrics }, log);
  const service = new DecisionService(cluster, gateway, {
    failureMode: config.failureMode,
    requirePathPolicy: config.requirePathPolicy,
    vaultDeadlineMs: config.decisionDeadlineMs,
  });

  let serving = false;
  const readiness = async (): Promise<string[]> => {
    const problems: string[] = [];
    if (!serving) problems.push('TLS listener not serving yet');
    problems.push(...cluster.problems);
    problems.push(...(await vaultReachability(cluster, config.vaultTimeoutMs)));
    return problems;
  };

  const running = buildApp({ evaluator: service, metrics, failureMode: config.failureMode, tls: { key: tls.key, cert: tls.cert }, readiness, logger });
  await cluster.start();
  await running.listen({ host: config.host, port: config.port });
  serving = true;
  const address = running.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;

  const stoppers: (() => void)[] = [];
  if (config.tls.mode === 'files') {
    stoppers.push(watchCertificateFiles(config.tls.certFile, config.tls.keyFile, (material) => reloadTls(running, material), log));
  }
  if (config.tls.mode === 'secret') {
    const source = config.tls;
    if (config.webhookConfigName && 'ca' in tls) await patchCaBundle(config.kubeConfig, config.webhookConfigName, tls.ca, log);
    // Re-read the Secret hourly: another replica may have rotated it, or it is due.
    const timer = setInterval(() => {
      void (async () => {
        const current = await ensureServingSecret(config.kubeConfig, source.namespace, source.secretName, serviceDnsNames(source.serviceName, source.namespace), log);
        if (current.cert !== tls.cert) {
          reloadTls(running, current);
          if (config.webhookConfigName) await patchCaBundle(config.kubeConfig, config.webhookConfigName, current.ca, log);
          Object.assign(tls, current);
        }
      })().catch((error: unknown) => log.error({ err: error }, 'certificate rotation check failed'));
    }, 3_600_000);
    timer.unref();
    stoppers.push(() => clearInterval(timer));
  }

  return {
    app: running,
    port,
    url: `https://127.0.0.1:${port}`,
    metrics,
    gateway,
    cluster,
    close: async () => {
      for (const stop of stoppers) stop();
      await running.close();
      await cluster.stop();
    },
  };
}

/** Readiness asks each Vault the stores name for its health; a sealed or silent Vault is named. */
async function vaultReachability(cluster: ClusterFacts, timeoutMs: number): Promise<string[]> {
  const servers = new Set<string>();
  for (const store of [...cluster.clusterSecretStores.list(), ...cluster.secretStores.list()]) {
    const server = (store as { spec?: { provider?: { vault?: { server?: string } } } }).spec?.provider?.vault?.server;
    if (server) servers.add(server.replace(/\/+$/, ''));
  }
  const problems = await Promise.all(
    [...servers].map(async (server) => {
      try {
        const response = await fetch(`${server}/v1/sys/health?standbyok=true&perfstandbyok=true`, { signal: AbortSignal.timeout(timeoutMs) });
        await response.arrayBuffer();
        return response.status === 200 || response.status === 429 ? undefined : `Vault ${server} answers HTTP ${response.status}`;
      } catch (error) {
        return `Vault ${server} unreachable: ${error instanceof Error ? error.message : String(error)}`;
      }
    }),
  );
  return problems.filter((p): p is string => p !== undefined);
}
