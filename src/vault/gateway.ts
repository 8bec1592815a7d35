// The Vault adapter: carries out the core's access plan for a store (its token, or a login
// with the store's own method and credentials, in the store's Vault namespace, trusting the
// store's CA) and answers the core's questions with that identity. Identities are cached
// until about 80% of their lease; answers are cached briefly and concurrent identical
// lookups share one request, so a burst of applies costs one Vault read per path. Only
// facts (capabilities, version state, property names and kinds, key names) are kept,
// never values; tokens only as long as their identity is cached.
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import type { AuthPlan, CaSource, Credential, SecretKeyRef, StoreAccess, VaultConnection } from '../core/auth.js';
import { tokenProblem } from '../core/auth.js';
import {
  failed,
  ok,
  unavailable,
  type FindFacts,
  type Lookup,
  type PropertyFact,
  type ReadFacts,
  type ReadOutcome,
  type VaultAnswer,
  type VaultQuestion,
  type VaultRequest,
} from '../core/facts.js';
import { compileGoRegexp, matchGoRegexp } from '../core/goRegexp.js';
import { propertyFact, propertyNames } from '../core/properties.js';
import { dataTarget, findListing, metadataTarget } from '../core/vaultPath.js';
import type { VaultProvider } from '../eso/types.js';
import type { Logger } from '../log.js';
import { withDeadline } from '../util/deadline.js';
import { encodeApiPath, rawVaultRequest, tenantVaultClient, type RawResponse, type TenantEndpoint, type VaultClient } from './client.js';
import { parseJsonKeepingNumbers } from '../core/gjson.js';
import { statusOf, vaultFailure } from './errors.js';

export interface IdentitySource {
  secretKey(namespace: string, name: string, key: string): Promise<Lookup<string>>;
  configMapKey(namespace: string, name: string, key: string): Promise<Lookup<string>>;
  serviceAccountToken(namespace: string, name: string, audiences: string[], seconds?: number): Promise<Lookup<{ token: string; expiresAt: number }>>;
  /** forgets credentials read before, so a rotated one is read again */
  forgetCredentials?(): void;
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
  /**
   * How long a value read for the reconciler stays in memory to be shared (one read per path
   * per cycle). Only syncs that asked before the read started share it, so this bounds memory,
   * not freshness. Default 5 min: long enough for a cold start of 10,000 ExternalSecrets
   * (about 100 s here) to read each path once; the values also sit in the managed Secrets'
   * informer cache, so keeping them longer exposes nothing new.
   */
  valueCycleMs?: number;
  metrics?: VaultMetrics;
}

/** What a question read, for the reconciler: the values themselves, never cached beyond one cycle. */
export type ValuePayload =
  | { kind: 'read'; data: Record<string, unknown> | undefined }
  | { kind: 'metadata'; custom: Record<string, string> | undefined }
  | { kind: 'find'; matches: { name: string; data: Record<string, unknown> | undefined }[] };

export interface ValueAnswer {
  /** the facts the decision core judges, derived from the same response */
  answer: VaultAnswer;
  /** present when the read succeeded far enough to give ESO's values */
  payload?: ValuePayload;
  /** ESO's error text for this question when Vault refused it (e.g. a 403) */
  error?: string;
}

interface Identity {
  endpoint: TenantEndpoint;
  token?: string;
  /** everything that shapes requests, tokens fingerprinted: keys clients and cached answers */
  id: string;
}

type Cached = { capabilities: string[] } | { outcome: ReadOutcome } | { find: FindFacts };

const fingerprint = (text: string) => createHash('sha256').update(text).digest('hex').slice(0, 16);

/** Thrown inside cached loaders so a definite answer (not an outage) is not cached as one. */
class LookupError extends Error {
  constructor(readonly lookup: Lookup<never>) {
    super(lookup.state === 'failed' || lookup.state === 'unavailable' ? lookup.reason : lookup.state);
  }
}

const asLookup = <T>(lookup: Lookup<unknown>): Lookup<T> => lookup as Lookup<T>;

export class VaultGateway {
  private readonly clients = new LRUCache<string, VaultClient>({ max: 500 });
  private readonly logins: LRUCache<string, { token: string }, { login: () => Promise<{ token: string; ttlMs: number }> }>;
  private readonly answers: LRUCache<string, Cached, { load: () => Promise<Cached> }>;
  /** values read for the reconciler, shared for one short cycle: when each read started, and its answer */
  private readonly valueReads = new Map<string, { startedAt: number; read: Promise<ValueAnswer> }>();
  private valueSweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly identities: IdentitySource,
    private readonly options: VaultGatewayOptions,
    private readonly log: Logger,
  ) {
    this.logins = new LRUCache({
      max: 1000,
      ttl: 60_000,
      fetchMethod: async (_key, _stale, { context, options: fetchOptions }) => {
        const { token, ttlMs } = await context.login();
        fetchOptions.ttl = Math.max(1000, ttlMs);
        return { token };
      },
    });
    this.answers = new LRUCache({
      max: options.maxEntries ?? 10_000,
      ttl: Math.max(1, options.cacheTtlMs),
      fetchMethod: async (_key, _stale, { context }) => context.load(),
    });
  }

  /**
   * A value read for one question, shared with every sync that asked no earlier than it
   * started (so ExternalSecrets sharing a path that sync together cost one read, and a
   * force-sync never sees a value read before it asked). Values live one short cycle.
   */
  private sharedValue(key: string, notBefore: number, load: () => Promise<ValueAnswer>): Promise<ValueAnswer> {
    const cycleMs = this.options.valueCycleMs ?? 300_000;
    const now = Date.now();
    const shared = this.valueReads.get(key);
    if (shared && shared.startedAt >= notBefore && now - shared.startedAt < cycleMs) return shared.read;
    const read = load();
    this.valueReads.set(key, { startedAt: now, read });
    read.catch(() => this.valueReads.delete(key));
    this.valueSweep ??= setInterval(() => {
      const horizon = Date.now() - cycleMs;
      for (const [k, v] of this.valueReads) if (v.startedAt < horizon) this.valueReads.delete(k);
      if (this.valueReads.size === 0) {
        clearInterval(this.valueSweep);
        this.valueSweep = undefined;
      }
    }, cycleMs);
    this.valueSweep.unref();
    return read;
  }

  /** Drops values read for the reconciler (e.g. when a force-sync must see fresh data). */
  forgetValues(): void {
    this.valueReads.clear();
  }

  /**
   * Reads what each question names, with the store's identity, for the reconciler: the
   * values ESO would get, and the facts the core needs, from one response per path.
   */
  async values(request: VaultRequest, notBefore = Date.now()): Promise<Map<string, ValueAnswer>> {
    const first = await this.valuesOnce(request, notBefore);
    // Refused everywhere: the store's credential may have been rotated since it was read.
    // Read it again, and if the identity changed, ask again with the new one.
    const refused = [...first.values()].every((v) => v.answer.state === 'failed' || (v.answer.state === 'ok' && 'capabilities' in v.answer.value && v.answer.value.capabilities.length === 0));
    if (!refused || !this.identities.forgetCredentials) return first;
    const before = await this.identity(request.access);
    this.identities.forgetCredentials();
    const after = await this.identity(request.access);
    if (before.state === 'ok' && after.state === 'ok' && before.value.id === after.value.id) return first;
    return this.valuesOnce(request, Date.now());
  }

  private async valuesOnce(request: VaultRequest, notBefore: number): Promise<Map<string, ValueAnswer>> {
    const results = new Map<string, ValueAnswer>();
    if (request.questions.length === 0) return results;
    const identity = await this.identity(request.access);
    if (identity.state !== 'ok') {
      const storeName = `${request.storeKind} "${request.store.metadata?.name ?? ''}"`;
      const reason = identity.state === 'missing' ? 'no Vault identity' : identity.reason;
      const answer: VaultAnswer = identity.state === 'unavailable' ? unavailable(`${storeName} could not log in: ${reason}`) : failed(`${storeName} cannot log in to Vault: ${reason}`);
      for (const question of request.questions) results.set(question.id, { answer });
      return results;
    }
    const provider = request.store.spec?.provider?.vault ?? {};
    await Promise.all(
      request.questions.map(async (question) => {
        try {
          const shared = await this.sharedValue(`${identity.value.id}|${question.id}`, notBefore, () => this.readValue(identity.value, provider, question));
          results.set(question.id, forQuestion(shared, question));
        } catch (error) {
          results.set(question.id, { answer: vaultFailure(error, `reading ${question.kind === 'find' ? question.listApiPath : question.kvPath}`) });
        }
      }),
    );
    return results;
  }

  private async rawRead(identity: Identity, method: 'GET' | 'LIST', apiPath: string, query = ''): Promise<RawResponse> {
    const response = await this.timed(method === 'LIST' ? 'value-list' : 'value-read', () => rawVaultRequest(identity.endpoint, identity.token, method, apiPath, query, this.options.timeoutMs));
    if (response.status >= 500) throw Object.assign(new Error(`Vault answered HTTP ${response.status}`), { response: { statusCode: response.status, body: safeJson(response.text) } });
    return response;
  }

  private async readValue(identity: Identity, provider: VaultProvider, question: VaultQuestion): Promise<ValueAnswer> {
    if (question.kind === 'find') return this.findValues(identity, provider, question);
    const version = question.kind === 'read' && question.version !== undefined ? `?version=${encodeURIComponent(question.version)}` : '';
    const response = await this.rawRead(identity, 'GET', question.apiPath, version);
    if (response.status === 403) {
      return { answer: ok<ReadFacts>({ capabilities: [] }), error: `cannot read secret data from Vault: Vault answered HTTP 403${firstError(safeJson(response.text))}` };
    }
    const body = (parseJsonKeepingNumbers(response.text || '{}') ?? {}) as { data?: unknown; warnings?: unknown; errors?: unknown[] };
    if (question.kind === 'metadata') {
      if (response.status === 404) return { answer: ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'error', message: 'secret not found' } }), payload: { kind: 'metadata', custom: undefined } };
      if (response.status >= 400) return { answer: ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'error', message: `cannot read secret data from Vault: Vault answered HTTP ${response.status}${firstError(body)}` } }) };
      const custom = isRecord(body.data) && isRecord(body.data.custom_metadata) ? (body.data.custom_metadata as Record<string, string>) : {};
      return { answer: ok<ReadFacts>({ capabilities: ['read'], outcome: metadataOutcome(body, question.properties) }), payload: { kind: 'metadata', custom } };
    }
    if (response.status >= 400 && response.status !== 404) {
      return { answer: ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'error', message: `cannot read secret data from Vault: Vault answered HTTP ${response.status}${firstError(body)}` } }) };
    }
    if (response.status === 404) {
      const hasData = isRecord(body.data) && Object.keys(body.data).length > 0;
      if (!hasData && !(Array.isArray(body.warnings) && body.warnings.length > 0)) {
        return { answer: ok<ReadFacts>({ capabilities: ['read'], outcome: { state: 'no-secret', detail: 'missing' } }), payload: { kind: 'read', data: undefined } };
      }
    }
    const outcome = secretOutcome(body, question.kvVersion, question.properties);
    const data = outcome.state === 'found' ? secretData(body, question.kvVersion) : undefined;
    return { answer: ok<ReadFacts>({ capabilities: ['read'], outcome }), payload: { kind: 'read', data } };
  }

  /** ESO's GetAllSecrets: list recursively, match by regexp or tags, read each match. */
  private async findValues(identity: Identity, provider: VaultProvider, question: VaultQuestion & { kind: 'find' }): Promise<ValueAnswer> {
    const facts = await this.findFacts(identity, provider, question);
    if (facts.failure || facts.truncated) return { answer: ok<FindFacts>(facts) };
    const matches: { name: string; data: Record<string, unknown> | undefined }[] = [];
    const unreadable: string[] = [];
    for (const name of facts.matched) {
      const target = dataTarget(provider, name);
      if (!target.ok) continue;
      const response = await this.rawRead(identity, 'GET', target.value.apiPath);
      if (response.status === 403) {
        unreadable.push(name);
        continue;
      }
      const body = (parseJsonKeepingNumbers(response.text || '{}') ?? {}) as { data?: unknown };
      matches.push({ name, data: response.status === 200 ? secretData(body, question.kvVersion) : undefined });
    }
    return { answer: ok<FindFacts>({ ...facts, unreadable }), payload: { kind: 'find', matches } };
  }

  /** Drops every cached answer and login (e.g. after a store changes). */
  clear(): void {
    this.answers.clear();
    this.logins.clear();
  }

  /** Answers every question of one request with the store's identity. */
  async answer(request: VaultRequest): Promise<Map<string, VaultAnswer>> {
    const results = new Map<string, VaultAnswer>();
    if (request.questions.length === 0) return results;
    const storeName = `${request.storeKind} "${request.store.metadata?.name ?? ''}"`;
    const identity = await this.identity(request.access);
    if (identity.state !== 'ok') {
      const reason = identity.state === 'missing' ? 'no Vault identity' : identity.reason;
      const answer: VaultAnswer = identity.state === 'unavailable' ? unavailable(`${storeName} could not log in: ${reason}`) : failed(`${storeName} cannot log in to Vault: ${reason}`);
      for (const question of request.questions) results.set(question.id, answer);
      return results;
    }
    const provider = request.store.spec?.provider?.vault ?? {};
    await Promise.all(
      request.questions.map(async (question) => {
        results.set(question.id, await this.question(identity.value, provider, question));
      }),
    );
    return results;
  }

  private question(identity: Identity, provider: VaultProvider, question: VaultQuestion): Promise<VaultAnswer> {
    switch (question.kind) {
      case 'read':
      case 'metadata':
        return this.read(identity, question);
      case 'find':
        return this.find(identity, provider, question);
    }
  }

  /** sys/health of a store's Vault (no token sent): up means initialized, unsealed and answering. */
  async health(connection: VaultConnection): Promise<VaultHealth> {
    const endpoint = await this.endpoint(connection);
    if (endpoint.state !== 'ok') return { up: false, reason: endpoint.state === 'missing' ? 'no endpoint' : endpoint.reason };
    const client = tenantVaultClient(endpoint.value, undefined, this.options.timeoutMs);
    try {
      // node-vault hands back sys/health's body whatever the status (503 sealed, 501 uninitialized).
      const body = (await this.timed('health', () => client.health({ standbyok: true, perfstandbyok: true }))) as { initialized?: boolean; sealed?: boolean };
      if (body.sealed) return { up: false, reason: 'sealed' };
      if (body.initialized === false) return { up: false, reason: 'not initialized' };
      return { up: true };
    } catch (error) {
      const lookup = vaultFailure(error, 'sys/health');
      return { up: false, reason: lookup.state === 'failed' || lookup.state === 'unavailable' ? lookup.reason : 'no answer' };
    }
  }

  // --- identities -------------------------------------------------------------------

  private async credential(credential: Credential): Promise<Lookup<string>> {
    switch (credential.from) {
      case 'literal':
        return ok(credential.value);
      case 'secret':
        return this.secretKey(credential.ref);
      case 'serviceAccount': {
        const { namespace, name, audiences, expirationSeconds } = credential.ref;
        const token = await this.identities.serviceAccountToken(namespace, name, audiences, expirationSeconds);
        return token.state === 'ok' ? ok(token.value.token) : asLookup(token);
      }
    }
  }

  private secretKey(ref: SecretKeyRef): Promise<Lookup<string>> {
    return this.identities.secretKey(ref.namespace, ref.name, ref.key);
  }

  private async caPem(source: CaSource | undefined): Promise<Lookup<string | undefined>> {
    if (!source) return ok(undefined);
    if (source.from === 'inline') return ok(source.pem);
    const read = source.from === 'secret' ? await this.secretKey(source.ref) : await this.identities.configMapKey(source.ref.namespace, source.ref.name, source.ref.key);
    return read.state === 'ok' ? ok(read.value) : asLookup(read);
  }

  private async endpoint(connection: VaultConnection): Promise<Lookup<TenantEndpoint>> {
    const ca = await this.caPem(connection.ca);
    if (ca.state !== 'ok') return asLookup(ca);
    const endpoint: TenantEndpoint = { server: connection.server };
    if (ca.value) endpoint.caBundle = ca.value;
    if (connection.clientTls) {
      const [cert, key] = await Promise.all([this.secretKey(connection.clientTls.cert), this.secretKey(connection.clientTls.key)]);
      if (cert.state !== 'ok') return asLookup(cert);
      if (key.state !== 'ok') return asLookup(key);
      endpoint.clientCert = { cert: cert.value, key: key.value };
    }
    return ok(endpoint);
  }

  private identityOf(endpoint: TenantEndpoint, readNamespace: string | undefined, token: string | undefined): Identity {
    const shape = [endpoint.server, readNamespace ?? '', fingerprint(endpoint.caBundle ?? ''), fingerprint(endpoint.clientCert?.cert ?? ''), fingerprint(token ?? '')];
    return { endpoint: { ...endpoint, ...(readNamespace ? { vaultNamespace: readNamespace } : {}) }, ...(token !== undefined ? { token } : {}), id: shape.join('|') };
  }

  private async identity(access: StoreAccess): Promise<Lookup<Identity>> {
    const { connection, auth } = access;
    const endpoint = await this.endpoint(connection);
    if (endpoint.state !== 'ok') return asLookup(endpoint);
    switch (auth.method) {
      case 'unchecked':
        return failed(auth.reason);
      case 'none':
        return ok(this.identityOf(endpoint.value, connection.readNamespace, undefined));
      case 'token': {
        const token = await this.credential(auth.token);
        if (token.state !== 'ok') return asLookup(token);
        const problem = tokenProblem(token.value);
        if (problem) return failed(problem);
        return ok(this.identityOf(endpoint.value, connection.readNamespace, token.value));
      }
      default:
        return this.loggedIn(endpoint.value, connection, auth);
    }
  }

  /**
   * A login token, reused for about 80% of its lease. The cache key names each credential by
   * its value when it is stored (a rotated Secret means a new login) and by its reference
   * when it is minted (a service-account token is requested only when a login is due).
   */
  private async loggedIn(endpoint: TenantEndpoint, connection: VaultConnection, plan: Exclude<AuthPlan, { method: 'none' | 'token' | 'unchecked' }>): Promise<Lookup<Identity>> {
    const credentials = Object.entries(plan.body ?? {});
    const stored: Record<string, string> = {};
    for (const [field, credential] of credentials) {
      if (credential.from === 'serviceAccount') continue;
      const value = await this.credential(credential);
      if (value.state !== 'ok') return asLookup(value);
      stored[field] = value.value;
    }
    let loginEndpoint: TenantEndpoint = { ...endpoint, ...(connection.loginNamespace ? { vaultNamespace: connection.loginNamespace } : {}) };
    if (plan.clientCertificate) {
      const [cert, key] = await Promise.all([this.credential(plan.clientCertificate.cert), this.credential(plan.clientCertificate.key)]);
      if (cert.state !== 'ok') return asLookup(cert);
      if (key.state !== 'ok') return asLookup(key);
      loginEndpoint = { ...loginEndpoint, clientCert: { cert: cert.value, key: key.value } };
    }
    const minted = credentials.filter(([, credential]) => credential.from === 'serviceAccount');
    const cacheKey = [
      endpoint.server,
      connection.loginNamespace ?? '',
      fingerprint(endpoint.caBundle ?? ''),
      plan.loginPath,
      fingerprint(JSON.stringify(stored)),
      JSON.stringify(minted),
      fingerprint(loginEndpoint.clientCert?.cert ?? ''),
    ].join('|');
    const login = async () => {
      const body = { ...stored };
      for (const [field, credential] of minted) {
        const value = await this.credential(credential);
        if (value.state !== 'ok') throw new LookupError(asLookup(value));
        body[field] = value.value;
      }
      return this.login(loginEndpoint, plan.loginPath, body);
    };
    try {
      const result = await this.logins.fetch(cacheKey, { context: { login } });
      if (!result) return unavailable('login returned nothing');
      return ok(this.identityOf(endpoint, connection.readNamespace, result.token));
    } catch (error) {
      if (error instanceof LookupError) return error.lookup;
      return vaultFailure(error, `login at ${plan.loginPath}`);
    }
  }

  private async login(endpoint: TenantEndpoint, loginPath: string, body: Record<string, string>): Promise<{ token: string; ttlMs: number }> {
    const client = tenantVaultClient(endpoint, undefined, this.options.timeoutMs);
    const response = (await this.timed('login', () => client.write(encodeApiPath(loginPath), body))) as { auth?: { client_token?: string; lease_duration?: number } };
    const token = response.auth?.client_token;
    if (!token) throw new LookupError(failed(`login at ${loginPath} returned no token`));
    const leaseSeconds = response.auth?.lease_duration ?? 60;
    // Log in again well before the lease ends; a token without a lease still re-logs in hourly.
    return { token, ttlMs: leaseSeconds > 0 ? leaseSeconds * 800 : 3_600_000 };
  }

  private client(identity: Identity): VaultClient {
    let client = this.clients.get(identity.id);
    if (!client) {
      client = tenantVaultClient(identity.endpoint, identity.token, this.options.timeoutMs);
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

  private async cached<T extends Cached>(key: string, load: () => Promise<T>): Promise<T> {
    return (await this.answers.fetch(key, { context: { load } })) as T;
  }

  // --- capabilities -----------------------------------------------------------------

  /** sys/capabilities-self for many paths in one call; keyed by path. */
  private async capabilities(identity: Identity, apiPaths: string[]): Promise<Map<string, string[]>> {
    const client = this.client(identity);
    const response = (await this.timed('capabilities', () => client.write('sys/capabilities-self', { paths: apiPaths }))) as Record<string, unknown>;
    const result = new Map<string, string[]>();
    for (const path of apiPaths) {
      const list = response[path] ?? (apiPaths.length === 1 ? response.capabilities : undefined);
      result.set(path, Array.isArray(list) ? list.map(String) : []);
    }
    return result;
  }

  private async capabilitiesOf(identity: Identity, apiPath: string): Promise<string[]> {
    const { capabilities } = await this.cached(`${identity.id}|cap|${apiPath}`, async () => ({ capabilities: (await this.capabilities(identity, [apiPath])).get(apiPath) ?? [] }));
    return capabilities;
  }

  // --- reads ------------------------------------------------------------------------

  private async read(identity: Identity, question: VaultQuestion & { kind: 'read' | 'metadata' }): Promise<Lookup<ReadFacts>> {
    let capabilities: string[];
    try {
      capabilities = await this.capabilitiesOf(identity, question.apiPath);
    } catch (error) {
      return vaultFailure(error, `capabilities on ${question.apiPath}`);
    }
    if (!capabilities.includes('read') && !capabilities.includes('root')) return ok({ capabilities });
    const version = question.kind === 'read' ? question.version : undefined;
    const key = [identity.id, question.kind, question.apiPath, version ?? '', JSON.stringify([...question.properties].sort())].join('|');
    try {
      const { outcome } = await this.cached(key, async () => ({ outcome: await this.readOutcome(identity, question) }));
      return ok({ capabilities, outcome });
    } catch (error) {
      return asLookup(vaultFailure(error, `reading ${question.kvPath}`));
    }
  }

  private async readOutcome(identity: Identity, question: VaultQuestion & { kind: 'read' | 'metadata' }): Promise<ReadOutcome> {
    const client = this.client(identity);
    const version = question.kind === 'read' && question.version !== undefined ? `?version=${encodeURIComponent(question.version)}` : '';
    let body: { data?: unknown; warnings?: unknown };
    try {
      body = (await this.timed('read', () => client.read(`${encodeApiPath(question.apiPath)}${version}`))) as typeof body;
    } catch (error) {
      const status = statusOf(error);
      if (status === undefined || status >= 500 || status === 403) throw error;
      const errorBody = ((error as { response?: { body?: unknown } }).response?.body ?? {}) as { data?: unknown; warnings?: unknown; errors?: unknown[] };
      if (status !== 404) return { state: 'error', message: `cannot read secret data from Vault: Vault answered HTTP ${status}${firstError(errorBody)}` };
      if (question.kind === 'metadata') return { state: 'error', message: 'secret not found' };
      // The Vault client returns a 404 as a secret when it carries data or warnings, else as nothing.
      const hasData = isRecord(errorBody.data) && Object.keys(errorBody.data).length > 0;
      if (!hasData && !(Array.isArray(errorBody.warnings) && errorBody.warnings.length > 0)) return { state: 'no-secret', detail: 'missing' };
      body = errorBody;
    }
    return question.kind === 'metadata' ? metadataOutcome(body, question.properties) : secretOutcome(body, question.kvVersion, question.properties);
  }

  // --- find -------------------------------------------------------------------------

  private async find(identity: Identity, provider: VaultProvider, question: VaultQuestion & { kind: 'find' }): Promise<Lookup<FindFacts>> {
    try {
      const { find } = await this.cached(`${identity.id}|${question.id}|${question.maxNames}`, async () => ({ find: await this.findFacts(identity, provider, question) }));
      return ok(find);
    } catch (error) {
      if (error instanceof LookupError) return error.lookup;
      return vaultFailure(error, `listing ${question.listApiPath}`);
    }
  }

  private async findFacts(identity: Identity, provider: VaultProvider, question: VaultQuestion & { kind: 'find' }): Promise<FindFacts> {
    const listing = await this.listRecursive(identity, provider, question);
    if ('failure' in listing) return { matched: [], unreadable: [], truncated: false, listed: 0, failure: listing.failure };
    const { names, truncated } = listing;
    if (truncated) return { matched: [], unreadable: [], truncated, listed: names.length };
    let matched: string[];
    if (question.nameRegexp !== undefined) {
      const compiled = compileGoRegexp(question.nameRegexp);
      if (!compiled.ok) throw new LookupError(failed(compiled.error));
      // A name vaultgate declines to match (a size limit) counts as matched: it is then
      // checked for capability and collisions like any other, never silently dropped.
      matched = names.filter((name) => {
        const result = matchGoRegexp(compiled.matcher, name);
        return !result.ok || result.match;
      });
    } else {
      const tagged = await this.tagged(identity, provider, names, question.tags ?? {});
      if ('failure' in tagged) return { matched: [], unreadable: [], truncated: false, listed: names.length, failure: tagged.failure };
      matched = tagged.names;
    }
    const readable = new Map<string, string>();
    for (const name of matched) {
      const target = dataTarget(provider, name);
      if (target.ok) readable.set(name, target.value.apiPath);
    }
    const capabilities = new Map<string, string[]>();
    const paths = [...new Set(readable.values())];
    for (let i = 0; i < paths.length; i += 100) {
      for (const [path, caps] of await this.capabilities(identity, paths.slice(i, i + 100))) capabilities.set(path, caps);
    }
    const unreadable = matched.filter((name) => {
      const caps = capabilities.get(readable.get(name) ?? '') ?? [];
      return !caps.includes('read') && !caps.includes('root');
    });
    return { matched, unreadable, truncated: false, listed: names.length };
  }

  /** ESO's listSecrets: LIST each folder's metadata, depth first, names prefixed as ESO builds them. */
  private async listRecursive(identity: Identity, provider: VaultProvider, question: VaultQuestion & { kind: 'find' }): Promise<{ names: string[]; truncated: boolean } | { failure: NonNullable<FindFacts['failure']> }> {
    const client = this.client(identity);
    const names: string[] = [];
    const pending: { apiPath: string; prefix: string }[] = [{ apiPath: question.listApiPath, prefix: question.namePrefix }];
    while (pending.length > 0) {
      const { apiPath, prefix } = pending.pop() as { apiPath: string; prefix: string };
      let keys: unknown[] = [];
      try {
        const response = (await this.timed('list', () => client.list(encodeApiPath(apiPath)))) as { data?: { keys?: unknown[] } };
        keys = Array.isArray(response.data?.keys) ? response.data.keys : [];
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) {
          const body = ((error as { response?: { body?: { warnings?: unknown[] } } }).response?.body ?? {}) as { warnings?: unknown[] };
          if (Array.isArray(body.warnings) && body.warnings.length > 0) continue;
          return { failure: { noSecret: true, message: 'Secret does not exist' } };
        }
        if (status !== undefined && status < 500) {
          return { failure: { noSecret: false, message: `cannot read secret data from Vault: Vault answered HTTP ${status}${firstError((error as { response?: { body?: unknown } }).response?.body)}` } };
        }
        throw error;
      }
      // Depth first in listing order, as ESO recurses.
      const folders: { apiPath: string; prefix: string }[] = [];
      for (const key of keys) {
        if (typeof key !== 'string') continue;
        const full = `${prefix}${key}`;
        if (key.endsWith('/')) {
          const next = findListing(provider, full.slice(0, -1));
          if (!next.ok) return { failure: { noSecret: false, message: `cannot list "${full}": ${next.message}` } };
          folders.push({ apiPath: next.value.listApiPath, prefix: full });
        } else {
          names.push(full);
          if (names.length > question.maxNames) {
            this.log.warn({ list: question.listApiPath, limit: question.maxNames }, 'dataFrom.find listing stopped at the limit');
            return { names, truncated: true };
          }
        }
      }
      pending.push(...folders.reverse());
    }
    return { names, truncated: false };
  }

  /** ESO's findSecretsFromTags: every tag must equal the candidate's custom_metadata. */
  private async tagged(identity: Identity, provider: VaultProvider, names: string[], tags: Record<string, string>): Promise<{ names: string[] } | { failure: NonNullable<FindFacts['failure']> }> {
    const client = this.client(identity);
    const matched: string[] = [];
    for (const name of names) {
      const target = metadataTarget(provider, name);
      if (!target.ok) return { failure: { noSecret: false, message: target.message } };
      const apiPath = target.value.apiPath;
      let custom: Record<string, unknown> = {};
      try {
        const response = (await this.timed('metadata', () => client.read(encodeApiPath(apiPath)))) as { data?: { custom_metadata?: unknown } };
        custom = isRecord(response.data?.custom_metadata) ? response.data.custom_metadata : {};
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return { failure: { noSecret: false, message: 'secret not found' } };
        if (status !== undefined && status < 500) return { failure: { noSecret: false, message: `cannot read secret data from Vault: Vault answered HTTP ${status}` } };
        throw error;
      }
      if (Object.entries(tags).every(([tag, value]) => custom[tag] === value)) matched.push(name);
    }
    return { names: matched };
  }
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function firstError(body: unknown): string {
  const errors = isRecord(body) ? body.errors : undefined;
  const first = Array.isArray(errors) ? errors[0] : undefined;
  // Vault error strings name paths and roles, never secret values; keep them short anyway.
  return typeof first === 'string' ? `: ${first.slice(0, 200)}` : '';
}

/**
 * A read shared between syncs answers each one's own properties: the facts are computed
 * again from the values for the properties this question asks.
 */
function forQuestion(shared: ValueAnswer, question: VaultQuestion): ValueAnswer {
  if (question.kind === 'find' || shared.answer.state !== 'ok' || !shared.payload) return shared;
  const facts = shared.answer.value as ReadFacts;
  if (facts.outcome?.state !== 'found') return shared;
  const source = shared.payload.kind === 'read' ? shared.payload.data : shared.payload.kind === 'metadata' ? shared.payload.custom : undefined;
  if (!source) return shared;
  const properties =
    shared.payload.kind === 'metadata' && Object.keys(source).length === 0
      ? Object.fromEntries(question.properties.map((p) => [p, { found: true, kind: 'null', objectJson: false } as PropertyFact]))
      : propertiesOf(source, question.properties);
  return { ...shared, answer: ok<ReadFacts>({ ...facts, outcome: { ...facts.outcome, properties } }) };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/** The secret's data map ESO reads (KV v2: data.data; KV v1: data); undefined when there is none. */
function secretData(body: { data?: unknown }, kvVersion: 1 | 2): Record<string, unknown> | undefined {
  if (kvVersion === 1) return isRecord(body.data) ? body.data : undefined;
  const envelope = isRecord(body.data) ? body.data : undefined;
  return envelope && isRecord(envelope.data) ? envelope.data : undefined;
}

function propertiesOf(data: Record<string, unknown>, properties: string[]): Record<string, PropertyFact> {
  return Object.fromEntries(properties.map((property) => [property, propertyFact(data, property)]));
}

/** A KV read as ESO's readSecret takes it (pkg/provider/vault/client_get.go). */
function secretOutcome(body: { data?: unknown }, kvVersion: 1 | 2, properties: string[]): ReadOutcome {
  if (kvVersion === 1) {
    if (!isRecord(body.data)) return { state: 'no-secret', detail: 'missing' };
    return { state: 'found', propertyNames: propertyNames(body.data), properties: propertiesOf(body.data, properties) };
  }
  const envelope = isRecord(body.data) ? body.data : undefined;
  if (!envelope || !Object.hasOwn(envelope, 'data')) return { state: 'error', message: 'failed to find data field' };
  const metadata = (isRecord(envelope.metadata) ? envelope.metadata : {}) as { version?: number; deletion_time?: string; destroyed?: boolean };
  const data = envelope.data;
  if (data === null || data === undefined) {
    return { state: 'no-secret', detail: metadata.destroyed ? 'destroyed' : metadata.deletion_time ? 'deleted' : 'missing', ...(metadata.version ? { version: metadata.version } : {}) };
  }
  if (!isRecord(data)) return { state: 'error', message: 'failed to unmarshall JSON' };
  return {
    state: 'found',
    ...(metadata.version ? { version: metadata.version } : {}),
    ...(metadata.deletion_time ? { deletionTime: metadata.deletion_time } : {}),
    propertyNames: propertyNames(data),
    properties: propertiesOf(data, properties),
  };
}

/** metadataPolicy Fetch: custom_metadata is the data; when there is none, ESO returns nothing (an empty value). */
function metadataOutcome(body: { data?: unknown }, properties: string[]): ReadOutcome {
  const custom = isRecord(body.data) && isRecord(body.data.custom_metadata) ? body.data.custom_metadata : {};
  if (Object.keys(custom).length === 0) {
    const nothing: PropertyFact = { found: true, kind: 'null', objectJson: false };
    return { state: 'found', propertyNames: [], properties: Object.fromEntries(properties.map((p) => [p, nothing])) };
  }
  return { state: 'found', propertyNames: propertyNames(custom), properties: propertiesOf(custom, properties) };
}

export type VaultHealth = { up: true } | { up: false; reason: string };
