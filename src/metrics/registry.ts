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
