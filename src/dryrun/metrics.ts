// Metrics of the dry-run endpoints, registered in the service's one registry. Labels are
// endpoints, status codes and outcomes only: never a caller, a namespace, a path or a token.
import { Counter, Histogram, type Registry } from 'prom-client';

export class DryRunMetrics {
  readonly requests: Counter<'endpoint' | 'code'>;
  readonly objects: Counter<'outcome'>;
  readonly duration: Histogram<'endpoint'>;

  constructor(registry: Registry) {
    // One registry may back several apps in one process (tests): reuse what is there.
    const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
    this.requests =
      existing<Counter<'endpoint' | 'code'>>('vaultgate_dryrun_requests_total') ??
      new Counter({ name: 'vaultgate_dryrun_requests_total', help: 'Dry-run requests by endpoint and HTTP status', labelNames: ['endpoint', 'code'], registers: [registry] });
    this.objects =
      existing<Counter<'outcome'>>('vaultgate_dryrun_objects_total') ??
      new Counter({ name: 'vaultgate_dryrun_objects_total', help: 'Objects judged by the dry-run endpoint, by outcome', labelNames: ['outcome'], registers: [registry] });
    this.duration =
      existing<Histogram<'endpoint'>>('vaultgate_dryrun_duration_seconds') ??
      new Histogram({
        name: 'vaultgate_dryrun_duration_seconds',
        help: 'Time to answer a dry-run request',
        labelNames: ['endpoint'],
        buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
        registers: [registry],
      });
  }
}
