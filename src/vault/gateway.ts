// The Vault adapter: answers the decision core's Vault questions with the store's own
// Vault identity (its token, or a Kubernetes-auth login as its role). Identities are
// cached until they expire; answers are cached briefly and concurrent identical lookups
// share one request, so a burst of applies costs one Vault read per path. Only facts
// (capabilities, version state, property names, key names) are kept, never values.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import vault from 'node-vault';
import {
  failed,
  missing,
  ok,
  unavailable,
  type KvFindFacts,
  type KvSecretFacts,
  type KvVersionFacts,
  type Lookup,
  type VaultAnswer,
  type VaultQuestion,
} from '../core/facts.js';
import { propertyNames } from '../core/properties.js';
import type { SecretStore, StoreKind, VaultProvider } from '../eso/types.js';
import type { Logger } from '../log.js';
import { withDeadline } from '../util/deadline.js';
import { statusOf, vaultFailure } from './errors.js';

export interface IdentitySource {
  secretKey(namespace: string, name: string, key: string): Promise<Lookup<string>>;
  serviceAccountToken(namespace: string, name: string, audiences: string[], seconds?: number): Promise<Lookup<{ token: string; expiresAt: number }>>;
}

export interface VaultMetrics {
  observe(operation: string, seconds: number, outcome: 'ok' | 'error'): void;
}

export interface VaultGatewayOptions {
  /** deadline of each Vault call */
  timeoutMs: number;
  /** how long answers about paths are reused */
  cacheTtlMs: number;
  maxEntries?: number;
  /** the most keys a dataFrom.find lists before giving up on completeness */
  maxFindKeys?: number;
  metrics?: VaultMetrics;
}

export interface StoreContext {
  store: SecretStore;
  kind: StoreKind;
  /** namespace of the ExternalSecret; a SecretStore's references resolve in it */
  namespace: string;
}

interface Identity {
  server: string;
  vaultNamespace?: string;
  caBundle?: string;
  token: string;
  /** server, namespace, CA and a token fingerprint: keys the client and every cached answer */
  id: string;
}

type IdentityBase = Omit<Identity, 'token' | 'id'>;

type Client = ReturnType<typeof vault>;
type Cached = { capabilities: string[] } | { read: Lookup<KvVersionFacts> } | { keys: string[] };

const fingerprint = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Hashes once per identity, not once per Vault question on the admission hot path. */
function identityOf(base: IdentityBase, token: string): Identity {
  return { ...base, token, id: `${base.server}|${base.vaultNamespace ?? ''}|${fingerprint(base.caBundle ?? '')}|${fingerprint(token)}` };
}

export class VaultGateway {
  private readonly clients: LRUCache<string, Client>;
  private readonly logins: LRUCache<string, { token: string }, { identity: () => Promise<{ token: string; ttlMs: number }> }>;
  private readonly answers: LRUCache<string, Cached, { load: () => Promise<Cached> }>;

  constructor(
    private readonly identities: IdentitySource,
    private readonly options: VaultGatewayOptions,
    private readonly log: Logger,
  ) {
    const max = options.maxEntries ?? 10_000;
    this.clients = new LRUCache({ max: 500 });
    this.logins = new LRUCache({
      max: 1000,
      ttl: 60_000,
      fetchMethod: async (_key, _stale, { context, options: fetchOptions }) => {
        const { token, ttlMs } = await context.identity();
        fetchOptions.ttl = Math.max(1000, ttlMs);
        return { token };
      },
    });
    this.answers = new LRUCache({
      max,
      ttl: Math.max(1, options.cacheTtlMs),
      fetchMethod: async (_key, _stale, { context }) => context.load(),
    });
  }

  /** Drops every cached answer and login (e.g. after a store changes). */
  clear(): void {
    this.answers.clear();
    this.logins.clear();
  }

  async answer(context: StoreContext, questions: readonly VaultQuestion[]): Promise<Map<string, VaultAnswer>> {
    const results = new Map<string, VaultAnswer>();
    if (questions.length === 0) return results;
    const provider = context.store.spec?.provider?.vault;
    const identity = provider ? await this.identity(context, provider) : failed<Identity>('not a Vault store');
    if (identity.state !== 'ok') {
      const storeName = `${context.kind} "${context.store.metadata?.name ?? ''}"`;
      const reason = identity.state === 'missing' ? 'no Vault identity' : identity.reason;
      const answer: VaultAnswer =
        identity.state === 'unavailable' ? unavailable(`${storeName} could not log in: ${reason}`) : failed(`${storeName} cannot log in to Vault: ${reason}`);
      for (const question of questions) results.set(question.id, answer);
      return results;
    }
    await Promise.all(
      questions.map(async (question) => {
        const answer: VaultAnswer = question.kind === 'secret' ? await this.secret(identity.value, question) : await this.find(identity.value, question);
        results.set(question.id, answer);
      }),
    );
    return results;
  }

  // --- identities -------------------------------------------------------------------

  private async identity(context: StoreContext, provider: VaultProvider): Promise<Lookup<Identity>> {
    if (!provider.server) return failed('spec.provider.vault.server is not set');
    const base: IdentityBase = {
      server: provider.server.replace(/\/+$/, ''),
      ...(provider.namespace ? { vaultNamespace: provider.namespace } : {}),
      ...(provider.caBundle ? { caBundle: Buffer.from(provider.caBundle, 'base64').toString('utf8') } : {}),
    };
    const auth = provider.auth ?? {};
    const refNamespace = (ref: { namespace?: string } | undefined, field: string): Lookup<string> => {
      if (context.kind === 'SecretStore') return ok(context.namespace);
      return ref?.namespace ? ok(ref.namespace) : failed(`${field}.namespace is required on a ClusterSecretStore`);
    };

    if (auth.tokenSecretRef) {
      const ref = auth.tokenSecretRef;
      const namespace = refNamespace(ref, 'auth.tokenSecretRef');
      if (namespace.state !== 'ok') return namespace as Lookup<Identity>;
      if (!ref.name || !ref.key) return failed('auth.tokenSecretRef needs name and key');
      const token = await this.identities.secretKey(namespace.value, ref.name, ref.key);
      return token.state === 'ok' ? ok(identityOf(base, token.value)) : (token as Lookup<Identity>);
    }

    if (auth.kubernetes) {
      const k8sAuth = auth.kubernetes;
      if (!k8sAuth.role) return failed('auth.kubernetes.role is required');
      const mountPath = (k8sAuth.mountPath ?? 'kubernetes').replace(/^\/+|\/+$/g, '');
      let jwtSource: () => Promise<Lookup<string>>;
      let jwtKey: string;
      if (k8sAuth.serviceAccountRef?.name) {
        const ref = k8sAuth.serviceAccountRef;
        const namespace = refNamespace(ref, 'auth.kubernetes.serviceAccountRef');
        if (namespace.state !== 'ok') return namespace as Lookup<Identity>;
        jwtKey = `sa:${namespace.value}/${ref.name}:${(ref.audiences ?? []).join(',')}`;
        jwtSource = async () => {
          const token = await this.identities.serviceAccountToken(namespace.value, ref.name ?? '', ref.audiences ?? []);
          return token.state === 'ok' ? ok(token.value.token) : (token as Lookup<string>);
        };
      } else if (k8sAuth.secretRef?.name && k8sAuth.secretRef.key) {
        const ref = k8sAuth.secretRef;
        const namespace = refNamespace(ref, 'auth.kubernetes.secretRef');
        if (namespace.state !== 'ok') return namespace as Lookup<Identity>;
        jwtKey = `secret:${namespace.value}/${ref.name}/${ref.key}`;
        jwtSource = () => this.identities.secretKey(namespace.value, ref.name ?? '', ref.key ?? '');
      } else {
        return unavailable('vaultgate checks Kubernetes auth only with serviceAccountRef or secretRef');
      }
      const cacheKey = `${base.server}|${base.vaultNamespace ?? ''}|${mountPath}|${k8sAuth.role}|${jwtKey}`;
      try {
        const login = await this.logins.fetch(cacheKey, {
          context: { identity: () => this.kubernetesLogin(base, mountPath, k8sAuth.role ?? '', jwtSource) },
        });
        return login ? ok(identityOf(base, login.token)) : unavailable('login returned nothing');
      } catch (error) {
        if (error instanceof LookupError) return error.lookup as Lookup<Identity>;
        return vaultFailure(error, `login as role "${k8sAuth.role}" at auth/${mountPath}`);
      }
    }

    const method = Object.keys(auth)[0] ?? 'no';
    return unavailable(`vaultgate cannot check stores using ${method} auth`);
  }

  private async kubernetesLogin(
    base: IdentityBase,
    mountPath: string,
    role: string,
    jwtSource: () => Promise<Lookup<string>>,
  ): Promise<{ token: string; ttlMs: number }> {
    const jwt = await jwtSource();
    if (jwt.state !== 'ok') throw new LookupError(jwt);
    const client = this.client(identityOf(base, ''));
    const response = (await this.timed('login', () => client.write(`auth/${mountPath}/login`, { role, jwt: jwt.value }))) as {
      auth?: { client_token?: string; lease_duration?: number };
    };
    const token = response.auth?.client_token;
    if (!token) throw new LookupError(failed(`login as role "${role}" returned no token`));
    const leaseSeconds = response.auth?.lease_duration ?? 60;
    // Renew well before the lease ends; a zero lease (root-like) still re-logs in hourly.
    return { token, ttlMs: leaseSeconds > 0 ? leaseSeconds * 800 : 3_600_000 };
  }

  private client(identity: Identity): Client {
    let client = this.clients.get(identity.id);
    if (!client) {
      client = vault({
        endpoint: identity.server,
        ...(identity.token ? { token: identity.token } : {}),
        ...(identity.vaultNamespace ? { namespace: identity.vaultNamespace } : {}),
        requestOptions: { timeout: this.options.timeoutMs, ...(identity.caBundle ? { ca: identity.caBundle } : {}) },
      });
      this.clients.set(identity.id, client);
    }
    return client;
  }

  private async timed<T>(operation: string, call: () => Promise<T>): Promise<T> {
    const started = performance.now();
    try {
      const result = await withDeadline(call(), this.options.timeoutMs, `Vault ${operation}`);
      this.options.metrics?.observe(operation, (performance.now() - started) / 1000, 'ok');
      return result;
    } catch (error) {
      this.options.metrics?.observe(operation, (performance.now() - started) / 1000, 'error');
      throw error;
    }
  }

  private cacheKey(identity: Identity, ...parts: (string | number | undefined)[]): string {
    return [identity.id, ...parts.map((p) => p ?? '')].join('|');
  }

  private async cached<T extends Cached>(key: string, load: () => Promise<T>): Promise<T> {
    const value = await this.answers.fetch(key, { context: { load } });
    return value as T;
  }

  // --- questions --------------------------------------------------------------------

  private async secret(identity: Identity, question: VaultQuestion & { kind: 'secret' }): Promise<Lookup<KvSecretFacts>> {
    const apiPath = question.kvVersion === 2 ? `${question.mount}/data/${question.key}` : `${question.mount}/${question.key}`;
    const client = this.client(identity);
    let capabilities: string[];
    try {
      ({ capabilities } = await this.cached(this.cacheKey(identity, 'cap', apiPath), async () => {
        const response = (await this.timed('capabilities', () => client.write('sys/capabilities-self', { paths: [apiPath] }))) as Record<string, unknown>;
        const list = response[apiPath] ?? response.capabilities;
        return { capabilities: Array.isArray(list) ? list.map(String) : [] };
      }));
    } catch (error) {
      return vaultFailure(error, `capabilities on ${apiPath}`);
    }
    if (!capabilities.includes('read') && !capabilities.includes('root')) return ok({ capabilities });
    try {
      const { read } = await this.cached(this.cacheKey(identity, 'read', apiPath, question.version), () => this.readVersion(client, apiPath, question));
      return ok({ capabilities, read });
    } catch (error) {
      return ok({ capabilities, read: vaultFailure(error, `reading ${question.mount}/${question.key}`) });
    }
  }

  private async readVersion(client: Client, apiPath: string, question: VaultQuestion & { kind: 'secret' }): Promise<{ read: Lookup<KvVersionFacts> }> {
    const query = question.version !== undefined ? `?version=${question.version}` : '';
    try {
      const response = (await this.timed('read', () => client.read(`${apiPath}${query}`))) as { data?: Record<string, unknown> };
      return { read: ok(versionFacts(question.kvVersion, response.data)) };
    } catch (error) {
      if (statusOf(error) !== 404) throw error;
      // KV v2 answers 404 for a deleted or destroyed version too, with its metadata.
      const body = (error as { response?: { body?: { data?: Record<string, unknown> } } }).response?.body;
      const metadata = body?.data?.metadata as { version?: number; deletion_time?: string; destroyed?: boolean } | undefined;
      if (question.kvVersion === 2 && metadata?.version) {
        return { read: ok({ version: metadata.version, state: metadata.destroyed ? 'destroyed' : 'deleted', propertyNames: [] }) };
      }
      return { read: missing() };
    }
  }

  private async find(identity: Identity, question: VaultQuestion & { kind: 'find' }): Promise<Lookup<KvFindFacts>> {
    const client = this.client(identity);
    const listRoot = question.kvVersion === 2 ? `${question.mount}/metadata` : question.mount;
    try {
      const { keys } = await this.cached(this.cacheKey(identity, 'find', question.id), async () => {
        const all = await this.listRecursive(client, listRoot, question.path ?? '');
        let matched = all;
        if (question.nameRegexp) {
          const regexp = new RegExp(question.nameRegexp);
          matched = matched.filter((key) => regexp.test(key));
        }
        if (question.tags && question.kvVersion === 2) {
          const tags = question.tags;
          const tagged: string[] = [];
          for (const key of matched.slice(0, 200)) {
            const meta = (await this.timed('metadata', () => client.read(`${question.mount}/metadata/${key}`))) as { data?: { custom_metadata?: Record<string, string> | null } };
            const custom = meta.data?.custom_metadata ?? {};
            if (Object.entries(tags).every(([k, v]) => custom[k] === v)) tagged.push(key);
          }
          matched = tagged;
        }
        return { keys: matched };
      });
      return ok({ keys });
    } catch (error) {
      return vaultFailure(error, `listing ${question.mount}/${question.path ?? ''}`);
    }
  }

  private async listRecursive(client: Client, listRoot: string, start: string): Promise<string[]> {
    const limit = this.options.maxFindKeys ?? 1000;
    const found: string[] = [];
    const pending = [start];
    while (pending.length > 0 && found.length < limit) {
      const prefix = pending.shift() ?? '';
      let keys: string[] = [];
      try {
        const response = (await this.timed('list', () => client.list(prefix ? `${listRoot}/${prefix}` : listRoot))) as { data?: { keys?: string[] } };
        keys = response.data?.keys ?? [];
      } catch (error) {
        if (statusOf(error) === 404) continue;
        throw error;
      }
      for (const key of keys) {
        const full = prefix ? `${prefix}/${key}`.replace(/\/+/g, '/') : key;
        if (key.endsWith('/')) pending.push(full.replace(/\/$/, ''));
        else found.push(full);
      }
    }
    if (found.length >= limit) this.log.warn({ root: listRoot, limit }, 'dataFrom.find listing truncated');
    return found.slice(0, limit);
  }
}

class LookupError extends Error {
  constructor(readonly lookup: Lookup<unknown>) {
    super(lookup.state === 'failed' || lookup.state === 'unavailable' ? lookup.reason : lookup.state);
  }
}

function versionFacts(kvVersion: 1 | 2, data: Record<string, unknown> | undefined): KvVersionFacts {
  if (kvVersion === 1) return { version: 1, state: 'live', propertyNames: propertyNames(data ?? {}) };
  const metadata = (data?.metadata ?? {}) as { version?: number; deletion_time?: string; destroyed?: boolean };
  const values = data?.data as Record<string, unknown> | null | undefined;
  const state = metadata.destroyed ? 'destroyed' : values === null || values === undefined ? 'deleted' : 'live';
  return {
    version: metadata.version ?? 0,
    state,
    ...(metadata.deletion_time ? { deletionTime: metadata.deletion_time } : {}),
    propertyNames: values ? propertyNames(values) : [],
  };
}
