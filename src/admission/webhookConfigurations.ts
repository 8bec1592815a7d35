// The ValidatingWebhookConfiguration and MutatingWebhookConfiguration, built by pure
// functions so the manifests, `make dev` and the tests register the same thing.
// Names end in vaultgate.dev and carry no external-secrets.io labels: ESO's cert
// controller rewrites webhooks it believes are its own.
import type { V1MutatingWebhookConfiguration, V1ValidatingWebhookConfiguration } from '@kubernetes/client-node';

export const VALIDATING_WEBHOOK = 'validate.externalsecrets.vaultgate.dev';
export const MUTATING_WEBHOOK = 'mutate.externalsecrets.vaultgate.dev';

export interface WebhookTarget {
  /** in-cluster: the Service in front of vaultgate */
  service?: { namespace: string; name: string; port?: number };
  /** outside the cluster (local development): https://host:port */
  url?: string;
}

export interface WebhookConfigurationOptions {
  name: string;
  target: WebhookTarget;
  /** PEM; left out when vaultgate registers its own CA (self-managed TLS) */
  caBundle?: string;
  /**
   * vaultgate's own namespace is the only one excluded, so it cannot lock itself out.
   * kube-system is matched on purpose: one ExternalSecret ESO cannot parse (e.g.
   * refreshInterval "1d") stops ESO's informer for every namespace, wherever it lives.
   */
  ownNamespace: string;
  /** 5 by default: vaultgate's decision deadline (4 s) stays inside it */
  timeoutSeconds?: number;
  failurePolicy?: 'Fail' | 'Ignore';
}

function clientConfig(target: WebhookTarget, path: string, caBundle: string | undefined) {
  const ca = caBundle === undefined ? {} : { caBundle: Buffer.from(caBundle).toString('base64') };
  if (target.url) return { url: `${target.url.replace(/\/+$/, '')}${path}`, ...ca };
  if (!target.service) throw new Error('webhook target needs a service or a url');
  return { service: { ...target.service, port: target.service.port ?? 443, path }, ...ca };
}

function common(options: WebhookConfigurationOptions, path: string) {
  return {
    admissionReviewVersions: ['v1'],
    sideEffects: 'NoneOnDryRun',
    timeoutSeconds: options.timeoutSeconds ?? 5,
    failurePolicy: options.failurePolicy ?? 'Fail',
    matchPolicy: 'Equivalent',
    clientConfig: clientConfig(options.target, path, options.caBundle),
    rules: [
      {
        apiGroups: ['external-secrets.io'],
        apiVersions: ['v1'],
        resources: ['externalsecrets'],
        operations: ['CREATE', 'UPDATE'],
        scope: 'Namespaced',
      },
    ],
    namespaceSelector: {
      matchExpressions: [
        { key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [options.ownNamespace] },
      ],
    },
  };
}

export function validatingWebhookConfiguration(options: WebhookConfigurationOptions): V1ValidatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'ValidatingWebhookConfiguration',
    metadata: { name: options.name, labels: { 'app.kubernetes.io/name': 'vaultgate' } },
    webhooks: [{ name: VALIDATING_WEBHOOK, ...common(options, '/validate') }],
  };
}

export function mutatingWebhookConfiguration(options: WebhookConfigurationOptions): V1MutatingWebhookConfiguration {
  return {
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: { name: options.name, labels: { 'app.kubernetes.io/name': 'vaultgate' } },
    webhooks: [{ name: MUTATING_WEBHOOK, reinvocationPolicy: 'IfNeeded', ...common(options, '/mutate') }],
  };
}
