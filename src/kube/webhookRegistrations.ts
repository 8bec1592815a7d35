// vaultgate's two webhook configurations (validating and mutating, one name), watched by
// name: what caBundle each webhook entry carries, and a patch that sets it on the entries
// that differ. Everything else in the configurations (URL or Service, rules, selectors) is
// left to whoever applied them.
// Invariant: a patch only touches clientConfig.caBundle of an entry whose name it has
// checked in the same patch (a JSON Patch `test`), so a reordered list is never miswritten.
import * as k8s from '@kubernetes/client-node';
import type { Logger } from '../log.js';
import { WatchedCollection } from './informers.js';

type Configuration = k8s.V1ValidatingWebhookConfiguration | k8s.V1MutatingWebhookConfiguration;
type Kind = 'ValidatingWebhookConfiguration' | 'MutatingWebhookConfiguration';

export interface RegisteredWebhook {
  kind: Kind;
  webhook: string;
  /** PEM caBundle as registered ('' when absent or not base64 PEM) */
  caBundle: string;
}

const encode = (pem: string) => Buffer.from(pem, 'utf8').toString('base64');
const decode = (base64: string | undefined) => (base64 ? Buffer.from(base64, 'base64').toString('utf8') : '');

export class WebhookRegistrations {
  private readonly api: k8s.AdmissionregistrationV1Api;
  private readonly validating: WatchedCollection<k8s.V1ValidatingWebhookConfiguration>;
  private readonly mutating: WatchedCollection<k8s.V1MutatingWebhookConfiguration>;

  constructor(
    kubeConfig: k8s.KubeConfig,
    readonly name: string,
    private readonly log: Logger,
  ) {
    this.api = kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
    const fieldSelector = `metadata.name=${name}`;
    const base = '/apis/admissionregistration.k8s.io/v1';
    this.validating = new WatchedCollection(
      `ValidatingWebhookConfiguration ${name}`,
      kubeConfig,
      `${base}/validatingwebhookconfigurations`,
      () => this.api.listValidatingWebhookConfiguration({ fieldSelector }),
      log,
      { fieldSelector },
    );
    this.mutating = new WatchedCollection(
      `MutatingWebhookConfiguration ${name}`,
      kubeConfig,
      `${base}/mutatingwebhookconfigurations`,
      () => this.api.listMutatingWebhookConfiguration({ fieldSelector }),
      log,
      { fieldSelector },
    );
  }

  async start(): Promise<void> {
    await Promise.all([this.validating.start(), this.mutating.start()]);
  }

  async stop(): Promise<void> {
    await Promise.all([this.validating.stop(), this.mutating.stop()]);
  }

  get synced(): boolean {
    return this.validating.synced && this.mutating.synced;
  }

  onChange(callback: () => void): void {
    this.validating.onChange(() => callback());
    this.mutating.onChange(() => callback());
  }

  private configurations(): { kind: Kind; configuration: Configuration | undefined }[] {
    return [
      { kind: 'ValidatingWebhookConfiguration', configuration: this.validating.get(this.name) },
      { kind: 'MutatingWebhookConfiguration', configuration: this.mutating.get(this.name) },
    ];
  }

  /** Why the registrations cannot be judged: not watched yet, or a configuration is missing. */
  get problems(): string[] {
    const problems = [this.validating.problem, this.mutating.problem].filter((p): p is string => p !== undefined);
    if (problems.length > 0) return problems;
    return this.configurations()
      .filter(({ configuration }) => !configuration || (configuration.webhooks ?? []).length === 0)
      .map(({ kind }) => `${kind} ${this.name} not found or has no webhooks`);
  }

  /** Every webhook entry of both configurations, with the caBundle it carries. */
  webhooks(): RegisteredWebhook[] {
    return this.configurations().flatMap(({ kind, configuration }) =>
      (configuration?.webhooks ?? []).map((webhook) => ({ kind, webhook: webhook.name, caBundle: decode(webhook.clientConfig.caBundle) })),
    );
  }

  /** Whether both configurations exist and every entry carries exactly this bundle. */
  carries(bundlePem: string): boolean {
    const webhooks = this.webhooks();
    return this.problems.length === 0 && webhooks.length > 0 && webhooks.every((webhook) => webhook.caBundle === bundlePem);
  }

  /** Sets caBundle on every entry that carries something else; returns the entries patched. */
  async register(bundlePem: string): Promise<number> {
    const caBundle = encode(bundlePem);
    const options = k8s.setHeaderOptions('Content-Type', k8s.PatchStrategy.JsonPatch);
    let patched = 0;
    for (const { kind, configuration } of this.configurations()) {
      const operations = (configuration?.webhooks ?? []).flatMap((webhook, index) =>
        webhook.clientConfig.caBundle === caBundle
          ? []
          : [
              { op: 'test', path: `/webhooks/${index}/name`, value: webhook.name },
              { op: 'add', path: `/webhooks/${index}/clientConfig/caBundle`, value: caBundle },
            ],
      );
      if (operations.length === 0) continue;
      try {
        if (kind === 'ValidatingWebhookConfiguration') await this.api.patchValidatingWebhookConfiguration({ name: this.name, body: operations }, options);
        else await this.api.patchMutatingWebhookConfiguration({ name: this.name, body: operations }, options);
        patched += operations.length / 2;
      } catch (error) {
        // Deleted or reordered since we saw it: the watch brings the change and we try again.
        if (error instanceof k8s.ApiException && (error.code === 404 || error.code === 409 || error.code === 422)) {
          this.log.warn({ configuration: `${kind} ${this.name}`, code: error.code }, 'caBundle patch did not apply; retrying when the watch catches up');
          continue;
        }
        throw error;
      }
    }
    return patched;
  }
}
