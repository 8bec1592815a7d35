#!/usr/bin/env node
// vaultgate's command line: `vaultgate serve` runs the webhook server until SIGTERM or
// SIGINT, then shuts it down gracefully within --shutdown-timeout; `vaultgate check` asks a
// running one for its verdict on manifests (src/cli/check.ts).
import * as k8s from '@kubernetes/client-node';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { DEFAULT_LIMITS } from '../core/facts.js';
import { parseGoDuration } from '../core/duration.js';
import { DEFAULT_DRY_RUN_LIMITS } from '../dryrun/routes.js';
import { DEFAULTS, startServer, type TlsSource } from '../server.js';
import { CERTIFICATE_DEFAULTS } from '../tls/serving.js';
import { checkCommand } from './check.js';

const positiveInt = (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError('must be a whole number');
  return n;
};

/** A Go duration ("168h", "90s"), as Kubernetes and cert-manager write certificate lifetimes; in ms. */
const duration = (value: string) => {
  const ms = parseGoDuration(value);
  if (ms === undefined || ms <= 0) throw new InvalidArgumentError('must be a positive Go duration such as 168h or 30s');
  return ms;
};

const share = (value: string) => {
  const n = Number(value);
  if (!(n > 0 && n < 1)) throw new InvalidArgumentError('must be a number between 0 and 1');
  return n;
};

const collect = (value: string, previous: string[]) => [...previous, value];
const hours = (ms: number) => `${ms / 3_600_000}h`;

export function program(): Command {
  const cli = new Command('vaultgate').description('Admission webhook for External Secrets Operator ExternalSecrets backed by Vault KV v2');
  cli
    .command('serve')
    .description('run the admission webhook server')
    .option('--kubeconfig <path>', 'kubeconfig file (default: in-cluster, then $KUBECONFIG)')
    .option('--host <address>', 'address to listen on', DEFAULTS.host)
    .option('--port <port>', 'HTTPS port', positiveInt, DEFAULTS.port)
    .option('--namespace <name>', "vaultgate's own namespace (never matched by its webhooks)", process.env.POD_NAMESPACE ?? 'vaultgate-system')
    .option('--tls-cert-file <path>', 'serving certificate (PEM), reloaded when it changes; with --tls-key-file')
    .option('--tls-key-file <path>', 'serving key (PEM)')
    .option('--tls-secret <name>', 'Secret (in --namespace) holding the generated CA and serving certificate', 'vaultgate-tls')
    .option('--service-name <name>', 'Service in front of vaultgate (names in the generated certificate)', 'vaultgate')
    .option('--webhook-config-name <name>', 'webhook configurations to register the generated CA in', 'vaultgate')
    .option('--tls-san <name>', 'one more DNS name or IP address for the generated serving certificate (repeatable; e.g. 127.0.0.1 outside a cluster)', collect, [])
    .addOption(new Option('--tls-serving-validity <duration>', 'lifetime of a generated serving certificate').argParser(duration).default(CERTIFICATE_DEFAULTS.servingValidityMs, hours(CERTIFICATE_DEFAULTS.servingValidityMs)))
    .addOption(new Option('--tls-ca-validity <duration>', 'lifetime of a generated CA').argParser(duration).default(CERTIFICATE_DEFAULTS.caValidityMs, hours(CERTIFICATE_DEFAULTS.caValidityMs)))
    .addOption(new Option('--tls-renew-remaining <share>', 'renew a generated certificate when this share of its life is left').argParser(share).default(CERTIFICATE_DEFAULTS.renewRemainingShare, '1/3'))
    .addOption(new Option('--failure-mode <mode>', 'when Vault or the API server cannot answer in time').choices(['closed', 'open']).default(DEFAULTS.failureMode))
    .option('--require-path-policy', 'deny namespaces no VaultPathPolicy selects', false)
    .option('--vault-timeout <ms>', 'deadline of each Vault call', positiveInt, DEFAULTS.vaultTimeoutMs)
    .option('--vault-cache-ttl <ms>', 'how long Vault answers are reused', positiveInt, DEFAULTS.vaultCacheTtlMs)
    .option('--decision-deadline <ms>', 'all Vault calls of one decision (keep under the webhook timeoutSeconds)', positiveInt, DEFAULTS.decisionDeadlineMs)
    .option('--max-entries <n>', 'data plus dataFrom entries one ExternalSecret may have', positiveInt, DEFAULT_LIMITS.maxEntries)
    .option('--max-paths <n>', 'distinct Vault paths one ExternalSecret may read', positiveInt, DEFAULT_LIMITS.maxPaths)
    .option('--max-find-names <n>', 'secrets one dataFrom.find may list', positiveInt, DEFAULT_LIMITS.maxFindNames)
    .option('--reconcile', 'run the reconciler (in the replica holding the leader Lease)', false)
    .option('--controller-class <class>', "reconcile ExternalSecrets of Vault stores whose spec.controller names this class (\"default\" also takes stores naming none)", 'default')
    .option('--concurrent <n>', 'ExternalSecrets reconciled at once', positiveInt, 8)
    .option('--lease-duration <ms>', 'leader Lease duration (another replica takes over after this)', positiveInt, 15_000)
    .option('--lease-renew-deadline <ms>', 'the leader gives up leading if it cannot renew within this', positiveInt, 10_000)
    .option('--lease-retry-period <ms>', 'how often the Lease is renewed or tried', positiveInt, 2_000)
    .option('--vault-health-interval <ms>', "how often each store's Vault is probed (metrics and logs only, never readiness)", positiveInt, DEFAULTS.vaultHealthIntervalMs)
    .option('--metrics-port <port>', 'also serve /metrics over plain HTTP on this port (for a ServiceMonitor)', positiveInt)
    .option('--shutdown-delay <ms>', 'after SIGTERM, keep serving (unready) this long so endpoints stop sending here', positiveInt, DEFAULTS.shutdownDelayMs)
    .option('--shutdown-timeout <ms>', 'after SIGTERM, exit within this (keep under terminationGracePeriodSeconds)', positiveInt, DEFAULTS.shutdownTimeoutMs)
    .option('--dry-run-max-bytes <n>', 'largest body POST /v1/dry-run accepts (413 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.maxBodyBytes)
    .option('--dry-run-max-documents <n>', 'objects (documents and List items) one dry run may hold (400 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.maxObjects)
    .option('--dry-run-timeout <ms>', 'time one dry run may take (503 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.timeoutMs)
    .option('--dry-run-max-cluster-objects <n>', 'ExternalSecrets one policy impact check may judge (503 beyond)', positiveInt, DEFAULT_DRY_RUN_LIMITS.maxClusterObjects)
    .option('--log-level <level>', 'pino log level', 'info')
    .action(async (options: {
      kubeconfig?: string;
      host: string;
      port: number;
      namespace: string;
      tlsCertFile?: string;
      tlsKeyFile?: string;
      tlsSecret: string;
      serviceName: string;
      webhookConfigName: string;
      tlsSan: string[];
      tlsServingValidity: number;
      tlsCaValidity: number;
      tlsRenewRemaining: number;
      metricsPort?: number;
      shutdownDelay: number;
      shutdownTimeout: number;
      failureMode: 'closed' | 'open';
      requirePathPolicy: boolean;
      vaultTimeout: number;
      vaultCacheTtl: number;
      decisionDeadline: number;
      maxEntries: number;
      maxPaths: number;
      maxFindNames: number;
      vaultHealthInterval: number;
      reconcile: boolean;
      controllerClass: string;
      concurrent: number;
      leaseDuration: number;
      leaseRenewDeadline: number;
      leaseRetryPeriod: number;
      dryRunMaxBytes: number;
      dryRunMaxDocuments: number;
      dryRunTimeout: number;
      dryRunMaxClusterObjects: number;
      logLevel: string;
    }) => {
      if (Boolean(options.tlsCertFile) !== Boolean(options.tlsKeyFile)) {
        throw new InvalidArgumentError('--tls-cert-file and --tls-key-file go together');
      }
      const kubeConfig = new k8s.KubeConfig();
      if (options.kubeconfig) kubeConfig.loadFromFile(options.kubeconfig);
      else kubeConfig.loadFromDefault();
      if (options.tlsServingValidity >= options.tlsCaValidity) {
        throw new InvalidArgumentError(`--tls-serving-validity (${hours(options.tlsServingValidity)}) must be shorter than --tls-ca-validity (${hours(options.tlsCaValidity)})`);
      }
      const tls: TlsSource =
        options.tlsCertFile && options.tlsKeyFile
          ? { mode: 'files', certFile: options.tlsCertFile, keyFile: options.tlsKeyFile }
          : {
              mode: 'secret',
              namespace: options.namespace,
              secretName: options.tlsSecret,
              serviceName: options.serviceName,
              extraSans: options.tlsSan,
              certificates: {
                servingValidityMs: options.tlsServingValidity,
                caValidityMs: options.tlsCaValidity,
                renewRemainingShare: options.tlsRenewRemaining,
              },
            };
      const server = await startServer({
        kubeConfig,
        host: options.host,
        port: options.port,
        ownNamespace: options.namespace,
        tls,
        webhookConfigName: options.webhookConfigName,
        failureMode: options.failureMode,
        requirePathPolicy: options.requirePathPolicy,
        vaultTimeoutMs: options.vaultTimeout,
        vaultCacheTtlMs: options.vaultCacheTtl,
        decisionDeadlineMs: options.decisionDeadline,
        limits: { maxEntries: options.maxEntries, maxPaths: options.maxPaths, maxFindNames: options.maxFindNames },
        vaultHealthIntervalMs: options.vaultHealthInterval,
        ...(options.reconcile
          ? {
              reconciler: {
                controllerClass: options.controllerClass,
                concurrency: options.concurrent,
                leaseTiming: { leaseDurationMs: options.leaseDuration, renewDeadlineMs: options.leaseRenewDeadline, retryPeriodMs: options.leaseRetryPeriod },
              },
            }
          : {}),
        ...(options.metricsPort !== undefined ? { metricsPort: options.metricsPort } : {}),
        dryRun: {
          maxBodyBytes: options.dryRunMaxBytes,
          maxObjects: options.dryRunMaxDocuments,
          timeoutMs: options.dryRunTimeout,
          maxClusterObjects: options.dryRunMaxClusterObjects,
        },
        logLevel: options.logLevel,
      });
      const shutdown = () => {
        // Should anything hang past the timeout, the process still ends before the kubelet's SIGKILL.
        setTimeout(() => process.exit(1), options.shutdownTimeout + 2000).unref();
        void server.shutdown({ delayMs: options.shutdownDelay, timeoutMs: options.shutdownTimeout }).then(
          () => process.exit(0),
          () => process.exit(1),
        );
      };
      process.once('SIGTERM', shutdown);
      process.once('SIGINT', shutdown);
    });
  cli.addCommand(checkCommand());
  return cli;
}

if (import.meta.url === `file://${process.argv[1]}` || process.argv[1]?.endsWith('/vaultgate')) {
  program().parseAsync(process.argv).catch((error: unknown) => {
    // `check` reports usage errors itself (commander has printed them): exit 2, or 0 after --help.
    if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
    console.error(`vaultgate: ${error instanceof Error ? error.message : String(error)}`);
    process.exit(1);
  });
}
