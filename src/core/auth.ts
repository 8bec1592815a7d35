// How a store's Vault identity is obtained, as ESO's Vault provider obtains it
// (pkg/provider/vault/auth*.go, pkg/esutils/resolvers): which method wins, which mount it
// logs in at, which Secret keys or service-account tokens it needs and in which namespace,
// which Vault namespace login and reads use, and where the CA comes from. The plan is pure;
// the Vault adapter carries it out with the store's own credentials. Methods vaultgate
// cannot carry out from here (AWS IAM, the ESO controller's own service account) are named
// as such, so admission warns that the capability check was skipped instead of guessing.
import type { SecretKeySelector, SecretStore, ServiceAccountSelector, StoreKind, VaultAuth, VaultProvider } from '../eso/types.js';

export interface SecretKeyRef {
  namespace: string;
  name: string;
  key: string;
}

export interface ServiceAccountTokenRef {
  namespace: string;
  name: string;
  audiences: string[];
  expirationSeconds: number;
}

/** One input to a login: a literal, a key of a Secret, or a fresh service-account token. */
export type Credential =
  | { from: 'literal'; value: string }
  | { from: 'secret'; ref: SecretKeyRef }
  | { from: 'serviceAccount'; ref: ServiceAccountTokenRef };

export type LoginMethod = 'appRole' | 'kubernetes' | 'ldap' | 'userPass' | 'jwt' | 'cert';

export type AuthPlan =
  /** no auth block: ESO sends requests without a token */
  | { method: 'none' }
  | { method: 'token'; token: Credential }
  | {
      method: LoginMethod;
      /** the API path ESO posts the login to, e.g. auth/kubernetes/login */
      loginPath: string;
      /** the login body; absent for cert auth, which logs in with the TLS client certificate */
      body?: Record<string, Credential>;
      /** cert auth: the client certificate and key presented on the login request */
      clientCertificate?: { cert: Credential; key: Credential };
    }
  /** a method vaultgate cannot carry out here; the capability check is skipped with a warning */
  | { method: 'unchecked'; reason: string };

export type CaSource = { from: 'inline'; pem: string } | { from: 'secret'; ref: SecretKeyRef } | { from: 'configMap'; ref: SecretKeyRef };

export interface VaultConnection {
  server: string;
  /** X-Vault-Namespace of reads (provider.namespace) */
  readNamespace?: string;
  /** X-Vault-Namespace of the login (auth.namespace, else provider.namespace) */
  loginNamespace?: string;
  ca?: CaSource;
  /** provider.tls: a client certificate presented on every request */
  clientTls?: { cert: SecretKeyRef; key: SecretKeyRef };
}

export interface StoreAccess {
  connection: VaultConnection;
  auth: AuthPlan;
}

export type AccessPlan = { ok: true; access: StoreAccess } | { ok: false; reason: string };

const fail = (reason: string): AccessPlan => ({ ok: false, reason });

/**
 * A reference's namespace as ESO resolves it: on a SecretStore always the ExternalSecret's
 * namespace (the reference's own is ignored at runtime); on a ClusterSecretStore the
 * reference's, or the ExternalSecret's when it names none ("referent" authentication).
 */
export function referenceNamespace(ref: { namespace?: string } | undefined, storeKind: StoreKind, esNamespace: string): string {
  return storeKind === 'ClusterSecretStore' && ref?.namespace ? ref.namespace : esNamespace;
}

function secretRef(selector: SecretKeySelector | undefined, storeKind: StoreKind, esNamespace: string, defaultKey = ''): SecretKeyRef {
  return {
    namespace: referenceNamespace(selector, storeKind, esNamespace),
    name: selector?.name ?? '',
    key: selector?.key || defaultKey,
  };
}

function serviceAccount(selector: ServiceAccountSelector, storeKind: StoreKind, esNamespace: string, audiences: string[], expirationSeconds: number): Credential {
  return {
    from: 'serviceAccount',
    ref: { namespace: referenceNamespace(selector, storeKind, esNamespace), name: selector.name ?? '', audiences, expirationSeconds },
  };
}

const loginAt = (mount: string | undefined, fallback: string, ...rest: string[]) => ['auth', mount ?? fallback, 'login', ...rest].join('/');

/** ESO's setAuth: the first configured method wins, in this order. */
export function authPlan(auth: VaultAuth | undefined, storeKind: StoreKind, esNamespace: string): AuthPlan | { invalid: string } {
  if (auth === undefined || auth === null) return { method: 'none' };
  const secret = (selector: SecretKeySelector | undefined, defaultKey = ''): Credential => ({ from: 'secret', ref: secretRef(selector, storeKind, esNamespace, defaultKey) });

  if (auth.tokenSecretRef) return { method: 'token', token: secret(auth.tokenSecretRef) };

  if (auth.appRole) {
    const appRole = auth.appRole;
    const roleId: Credential | undefined = appRole.roleId?.trim() ? { from: 'literal', value: appRole.roleId.trim() } : appRole.roleRef ? secret(appRole.roleRef) : undefined;
    if (!roleId) return { invalid: 'invalid Auth.AppRole: neither `roleId` nor `roleRef` was supplied' };
    return { method: 'appRole', loginPath: loginAt(appRole.path, 'approle'), body: { role_id: roleId, secret_id: secret(appRole.secretRef) } };
  }

  if (auth.kubernetes) {
    const k8s = auth.kubernetes;
    if (!k8s.role) return { invalid: 'no role name was provided' };
    let jwt: Credential;
    if (k8s.serviceAccountRef) jwt = serviceAccount(k8s.serviceAccountRef, storeKind, esNamespace, k8s.serviceAccountRef.audiences ?? [], 600);
    else if (k8s.secretRef) jwt = secret(k8s.secretRef, 'token');
    else {
      return { method: 'unchecked', reason: "the store logs in with the ESO controller's own service-account token, which vaultgate does not hold" };
    }
    return { method: 'kubernetes', loginPath: loginAt(k8s.mountPath, 'kubernetes'), body: { role: { from: 'literal', value: k8s.role }, jwt } };
  }

  for (const method of ['ldap', 'userPass'] as const) {
    const userAuth = auth[method];
    if (!userAuth) continue;
    const username = (userAuth.username ?? '').trim();
    return {
      method,
      loginPath: loginAt(userAuth.path, method === 'ldap' ? 'ldap' : 'userpass', username),
      body: { password: secret(userAuth.secretRef) },
    };
  }

  if (auth.jwt) {
    const jwtAuth = auth.jwt;
    let jwt: Credential;
    if (jwtAuth.secretRef) jwt = secret(jwtAuth.secretRef);
    else if (jwtAuth.kubernetesServiceAccountToken) {
      const source = jwtAuth.kubernetesServiceAccountToken;
      const selector = source.serviceAccountRef ?? {};
      // ESO requests the service account's own audiences plus these (default "vault").
      const audiences = [...(selector.audiences ?? []), ...(source.audiences ?? ['vault'])];
      jwt = serviceAccount(selector, storeKind, esNamespace, audiences, source.expirationSeconds ?? 600);
    } else {
      return { invalid: 'neither `secretRef` nor `kubernetesServiceAccountToken` was supplied as token source for jwt authentication' };
    }
    return { method: 'jwt', loginPath: loginAt(jwtAuth.path, 'jwt'), body: { role: { from: 'literal', value: (jwtAuth.role ?? '').trim() }, jwt } };
  }

  if (auth.cert) {
    const certAuth = auth.cert;
    return {
      method: 'cert',
      loginPath: loginAt(certAuth.path || undefined, 'cert'),
      clientCertificate: { cert: secret(certAuth.clientCert), key: secret(certAuth.secretRef) },
    };
  }

  if (auth.iam) return { method: 'unchecked', reason: 'AWS IAM authentication cannot be carried out from vaultgate' };

  return { invalid: 'cannot initialize Vault client: no valid auth method specified' };
}

/** Everything needed to talk to a store's Vault as ESO would, or why ESO could not either. */
export function storeAccess(store: SecretStore, storeKind: StoreKind, esNamespace: string): AccessPlan {
  const provider: VaultProvider | undefined = store.spec?.provider?.vault;
  if (!provider) return fail('not a Vault store');
  if (!provider.server) return fail('spec.provider.vault.server is not set');
  const auth = authPlan(provider.auth, storeKind, esNamespace);
  if ('invalid' in auth) return fail(auth.invalid);

  const connection: VaultConnection = { server: provider.server.replace(/\/+$/, '') };
  if (provider.namespace) connection.readNamespace = provider.namespace;
  const loginNamespace = provider.auth?.namespace ?? provider.namespace;
  if (loginNamespace) connection.loginNamespace = loginNamespace;

  if (provider.caBundle) {
    const pem = caBundlePem(provider.caBundle);
    if (!pem) return fail('failed to decode ca bundle: failed to parse the new certificate, not valid pem data');
    connection.ca = { from: 'inline', pem };
  } else if (provider.caProvider) {
    const ca = provider.caProvider;
    if (storeKind === 'ClusterSecretStore' && !ca.namespace) return fail('missing namespace on caProvider secret');
    const ref: SecretKeyRef = { namespace: '', name: ca.name ?? '', key: ca.key ?? '' };
    if (ca.type === 'ConfigMap') {
      // ESO honours a ConfigMap's namespace even on a SecretStore (unlike a Secret's).
      connection.ca = { from: 'configMap', ref: { ...ref, namespace: ca.namespace || esNamespace } };
    } else {
      connection.ca = { from: 'secret', ref: { ...ref, namespace: referenceNamespace(ca, storeKind, esNamespace) } };
    }
  }

  const tls = provider.tls;
  if (tls?.certSecretRef || tls?.keySecretRef) {
    if (!tls.certSecretRef || !tls.keySecretRef) return fail('when provided, both ClientTLS.ClientCert and ClientTLS.SecretRef should be provided');
    connection.clientTls = { cert: secretRef(tls.certSecretRef, storeKind, esNamespace, 'tls.crt'), key: secretRef(tls.keySecretRef, storeKind, esNamespace, 'tls.key') };
  }
  return { ok: true, access: { connection, auth } };
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/;

/**
 * The store's caBundle as PEM: the field holds base64 of the PEM bytes (a Go []byte), and
 * ESO also accepts one more layer of base64. Undefined when neither is a PEM certificate.
 */
export function caBundlePem(field: string): string | undefined {
  const once = Buffer.from(field, 'base64').toString('utf8');
  if (PEM_CERTIFICATE.test(once)) return once;
  const twice = Buffer.from(once.trim(), 'base64').toString('utf8');
  return PEM_CERTIFICATE.test(twice) ? twice : undefined;
}

/** Go's unicode.IsPrint over a token: the Vault client refuses any other character. */
export function tokenProblem(token: string): string | undefined {
  return /^[\p{L}\p{M}\p{N}\p{P}\p{S} ]*$/u.test(token) ? undefined : 'configured Vault token contains non-printable characters and cannot be used';
}
