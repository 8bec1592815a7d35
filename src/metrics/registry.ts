// Prometheus metrics of the service. Labels carry decisions, check names and Vault
// operations only: never paths' values, tokens or secret data.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { VaultMetrics } from '../vault/gateway.js';
import type { HealthGauge } from '../vault/health.js';
import type { TlsMetrics } from '../tls/selfManaged.js';

export class Metrics implements VaultMetrics, HealthGauge, TlsMetrics {
  readonly registry = new Registry();
  readonly admissionDuration = new Histogram({
    name: 'vaultgate_admission_duration_seconds',
    help: 'Time to answer an AdmissionReview',
    labelNames: ['webhook'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  readonly decisions = new Counter({
    name: 'vaultgate_admission_decisions_total',
    help: 'Admission decisions by webhook, decision and reason (first failing check)',
    labelNames: ['webhook', 'decision', 'reason'] as const,
    registers: [this.registry],
  });
  readonly vaultDuration = new Histogram({
    name: 'vaultgate_vault_request_duration_seconds',
    help: 'Vault API call latency by operation and outcome',
    labelNames: ['operation', 'outcome'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });
  readonly vaultErrors = new Counter({
    name: 'vaultgate_vault_request_errors_total',
    help: 'Vault API calls that failed, by operation',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });

  readonly vaultUp = new Gauge({
    name: 'vaultgate_vault_up',
    help: 'Whether a Vault server named by a store answers sys/health unsealed (1) or not (0)',
    labelNames: ['server'] as const,
    registers: [this.registry],
  });

  // ESO's own series (pkg/controllers/externalsecret/esmetrics), same names, types and labels,
  // so dashboards and alerts written for ESO work unchanged.
  readonly esSyncCalls = new Counter({
    name: 'externalsecret_sync_calls_total',
    help: 'Total number of the External Secret sync calls',
    labelNames: ['name', 'namespace'] as const,
    registers: [this.registry],
  });
  readonly esSyncErrors = new Counter({
    name: 'externalsecret_sync_calls_error',
    help: 'Total number of the External Secret sync errors',
    labelNames: ['name', 'namespace'] as const,
    registers: [this.registry],
  });
  readonly esCondition = new Gauge({
    name: 'externalsecret_status_condition',
    help: 'The status condition of a specific External Secret',
    labelNames: ['name', 'namespace', 'condition', 'status'] as const,
    registers: [this.registry],
  });
  readonly esReconcileDuration = new Gauge({
    name: 'externalsecret_reconcile_duration',
    help: 'The duration time to reconcile the External Secret',
    labelNames: ['name', 'namespace'] as const,
    registers: [this.registry],
  });
  // vaultgate's own.
  readonly vaultReads = new Counter({
    name: 'vaultgate_vault_reads_total',
    help: 'Vault reads of secret values by the reconciler and admission (one per distinct path and version per cycle)',
    labelNames: ['operation'] as const,
    registers: [this.registry],
  });
  readonly vaultLogins = new Counter({
    name: 'vaultgate_vault_logins_total',
    help: 'Vault logins (one per token lifetime per identity)',
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'vaultgate_reconcile_queue_depth',
    help: 'ExternalSecrets waiting to be reconciled',
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'vaultgate_reconcile_queue_wait_seconds',
    help: 'Time an ExternalSecret waited in the queue before a worker took it',
    buckets: [0.001, 0.01, 0.1, 0.5, 1, 5, 15, 60, 300],
    registers: [this.registry],
  });
  readonly vaultRecovery = new Histogram({
    name: 'vaultgate_vault_recovery_seconds',
    help: 'From a Vault answering again to every ExternalSecret of its stores being synced again',
    buckets: [0.5, 1, 2, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly secretsCreatedAtAdmission = new Counter({
    name: 'vaultgate_admission_secrets_created_total',
    help: 'Target Secrets created by the mutating webhook before the ExternalSecret was stored',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  readonly tlsReloads = new Counter({
    name: 'vaultgate_tls_certificate_reloads_total',
    help: 'Serving certificates swapped into the running server (renewals, rotations, mounted file changes)',
    registers: [this.registry],
  });
  readonly tlsServingExpiry = new Gauge({
    name: 'vaultgate_tls_serving_certificate_expiry_timestamp_seconds',
    help: 'notAfter of the serving certificate this replica presents, as a Unix time',
    registers: [this.registry],
  });
  readonly tlsSecretUpdates = new Counter({
    name: 'vaultgate_tls_secret_updates_total',
    help: 'Writes of the TLS Secret by the certificate leader, by plan step (bootstrap, restore, issue-serving, introduce-ca, retire-ca)',
    labelNames: ['step'] as const,
    registers: [this.registry],
  });
  readonly caBundleRegistrations = new Counter({
    name: 'vaultgate_tls_ca_bundle_registrations_total',
    help: 'Webhook entries whose caBundle the certificate leader set (first registration, rotation, or repair)',
    registers: [this.registry],
  });

  constructor(options: { defaultMetrics?: boolean } = {}) {
    if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: this.registry, prefix: 'vaultgate_' });
  }

  observe(operation: string, seconds: number, outcome: 'ok' | 'error'): void {
    this.vaultDuration.observe({ operation, outcome }, seconds);
    if (outcome === 'error') this.vaultErrors.inc({ operation });
    if (operation === 'login' && outcome === 'ok') this.vaultLogins.inc();
    if ((operation === 'value-read' || operation === 'value-list') && outcome === 'ok') this.vaultReads.inc({ operation });
  }

  /** ESO's SetExternalSecretCondition: the Ready series of one ExternalSecret. */
  setReady(name: string, namespace: string, ready: boolean): void {
    this.esCondition.set({ name, namespace, condition: 'Ready', status: 'True' }, ready ? 1 : 0);
    this.esCondition.set({ name, namespace, condition: 'Ready', status: 'False' }, ready ? 0 : 1);
  }

  forgetExternalSecret(name: string, namespace: string): void {
    for (const status of ['True', 'False']) this.esCondition.remove({ name, namespace, condition: 'Ready', status });
    this.esReconcileDuration.remove({ name, namespace });
  }

  servingCertificateLoaded(notAfterMs: number, reload: boolean): void {
    this.tlsServingExpiry.set(notAfterMs / 1000);
    if (reload) this.tlsReloads.inc();
  }

  tlsSecretUpdated(step: string): void {
    this.tlsSecretUpdates.inc({ step });
  }

  caBundleRegistered(entries: number): void {
    this.caBundleRegistrations.inc(entries);
  }

  // A store's server URL is tenant input: bounded in length so one cannot bloat every scrape.
  setVaultUp(server: string, up: boolean): void {
    this.vaultUp.set({ server: server.slice(0, 200) }, up ? 1 : 0);
  }

  forgetVault(server: string): void {
    this.vaultUp.remove({ server: server.slice(0, 200) });
  }
}
