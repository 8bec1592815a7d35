// Unit-test stand-ins at the adapter boundary of the dry-run endpoints (never used by the
// integration tests, which run the real stack): an access reviewer that knows a few tokens,
// in-memory cluster facts and Vault answers behind a real DecisionService (so unit tests
// exercise the real decision core), and a dry-run app built the way the server builds it.
import type { FastifyInstance } from 'fastify';
import { ok, missing, unavailable, type Lookup, type VaultAnswer, type VaultRequest } from '../../src/core/facts.js';
import { DecisionService } from '../../src/decision/service.js';
import type { AccessReviewer, Authorization, Caller, ResourceAttributes } from '../../src/dryrun/access.js';
import type { DryRunLimits } from '../../src/dryrun/routes.js';
import type { ExternalSecret, SecretStore, StoreKind, VaultPathPolicy } from '../../src/eso/types.js';
import { buildApp } from '../../src/http/app.js';
import { TooManyExternalSecrets, type ExternalSecretLister } from '../../src/kube/externalSecrets.js';
import { Metrics } from '../../src/metrics/registry.js';

export const TOKENS: Record<string, Caller> = {
  'alice-token': { username: 'alice', groups: ['system:authenticated'] },
  'platform-token': { username: 'platform', groups: ['platform-admins'] },
};

/** Alice may create ExternalSecrets in db and payments; platform may do anything. */
export function fakeReviewer(overrides: Partial<AccessReviewer> = {}): AccessReviewer & { asked: ResourceAttributes[] } {
  const asked: ResourceAttributes[] = [];
  return {
    asked,
    authenticate: async (token) => {
      const caller = TOKENS[token];
      return caller ? { authenticated: true, caller } : { authenticated: false, reason: 'the token was not accepted by the Kubernetes API (TokenReview)' };
    },
    authorize: async (caller, attributes): Promise<Authorization> => {
      asked.push(attributes);
      if (caller.username === 'platform') return { allowed: true };
      return { allowed: attributes.resource === 'externalsecrets' && ['db', 'payments'].includes(attributes.namespace ?? '') };
    },
    ...overrides,
  };
}

export const STORE: SecretStore = {
  apiVersion: 'external-secrets.io/v1',
  kind: 'ClusterSecretStore',
  metadata: { name: 'vault-backend' },
  spec: { provider: { vault: { server: 'http://vault.invalid:8200', path: 'secret', version: 'v2', auth: { tokenSecretRef: { name: 'vault-token', key: 'token', namespace: 'external-secrets' } } } } },
};

/** What the fake Vault holds: kv path -> property names. Values never exist here. */
export const VAULT: Record<string, string[]> = {
  'secret/postgres-secret': ['POSTGRES_USER', 'POSTGRES_PASSWORD'],
  'secret/payments/stripe': ['api_key'],
};

export interface FakeCluster {
  labels: Record<string, Record<string, string>>;
  policies: Lookup<VaultPathPolicy[]>;
  externalSecrets: ExternalSecret[];
}

export function fakeCluster(): FakeCluster {
  return { labels: { db: {}, payments: { team: 'payments' } }, policies: ok([]), externalSecrets: [] };
}

function answer(request: VaultRequest): Map<string, VaultAnswer> {
  const answers = new Map<string, VaultAnswer>();
  for (const question of request.questions) {
    if (question.kind !== 'read') {
      answers.set(question.id, unavailable('not in the fake Vault'));
      continue;
    }
    const names = VAULT[question.kvPath];
    answers.set(
      question.id,
      ok({
        capabilities: ['read'],
        outcome: names
          ? {
              state: 'found',
              version: 1,
              propertyNames: names,
              properties: Object.fromEntries(question.properties.map((p) => [p, p === '' ? { found: true, kind: 'object', objectJson: true } : names.includes(p) ? { found: true, kind: 'string', objectJson: false } : { found: false }])),
            }
          : { state: 'no-secret', detail: 'missing' },
      }),
    );
  }
  return answers;
}

/** A real DecisionService over in-memory cluster facts and Vault answers. */
export function decisionService(cluster: FakeCluster): DecisionService {
  return new DecisionService(
    {
      namespaceLabels: (namespace) => ok({ 'kubernetes.io/metadata.name': namespace, ...(cluster.labels[namespace] ?? {}) }),
      store: (kind: StoreKind, name) => (kind === 'ClusterSecretStore' && name === 'vault-backend' ? ok(STORE) : missing()),
      pathPolicies: () => cluster.policies,
    },
    { answer: async (request) => answer(request) },
    { failureMode: 'closed', requirePathPolicy: false, vaultDeadlineMs: 1000 },
  );
}

export function fakeLister(cluster: FakeCluster): ExternalSecretLister {
  return {
    list: async (max) => {
      if (cluster.externalSecrets.length > max) {
        throw new TooManyExternalSecrets(`the cluster holds more than ${max} ExternalSecrets, more than one policy check may judge (--dry-run-max-cluster-objects)`);
      }
      return cluster.externalSecrets;
    },
  };
}

export interface DryRunAppOptions {
  cluster?: FakeCluster;
  reviewer?: AccessReviewer;
  limits?: Partial<DryRunLimits>;
  decider?: DecisionService;
}

export function dryRunApp(options: DryRunAppOptions = {}): FastifyInstance {
  const cluster = options.cluster ?? fakeCluster();
  const service = options.decider ?? decisionService(cluster);
  return buildApp({
    evaluator: service,
    metrics: new Metrics({ defaultMetrics: false }),
    failureMode: 'closed',
    readiness: async () => [],
    logLevel: 'silent',
    dryRun: {
      decider: service,
      reviewer: options.reviewer ?? fakeReviewer(),
      policies: { pathPolicies: () => cluster.policies },
      externalSecrets: fakeLister(cluster),
      ...(options.limits ? { limits: options.limits } : {}),
    },
  });
}

export const externalSecretYaml = (name: string, namespace: string | undefined, data: { key: string; property?: string }[], extra = '') => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata:
  name: ${name}
${namespace ? `  namespace: ${namespace}\n` : ''}spec:
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
${extra}  data:
${data.map((d, i) => `    - secretKey: k${i}\n      remoteRef: {key: ${d.key}${d.property ? `, property: ${d.property}` : ''}}`).join('\n')}
`;

export const tenantPolicy = (allow: string[], name = 'tenant-paths'): VaultPathPolicy => ({
  apiVersion: 'vaultgate.dev/v1alpha1',
  kind: 'VaultPathPolicy',
  metadata: { name },
  spec: { namespaceSelector: { matchLabels: { team: 'payments' } }, stores: [{ kind: 'ClusterSecretStore', name: 'vault-backend' }], allow },
});
