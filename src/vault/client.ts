// node-vault clients for a tenant's store. node-vault falls back to vaultgate's own
// environment (VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE, VAULT_PREFIX, VAULT_SKIP_VERIFY)
// for anything not configured; a tenant's store must never inherit vaultgate's token,
// namespace or disabled TLS verification, so every one of those is set explicitly here,
// after construction, where node-vault reads them on each request.
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import vault from 'node-vault';

export type VaultClient = ReturnType<typeof vault>;

export interface TenantEndpoint {
  /** the store's server URL, without a trailing slash */
  server: string;
  /** X-Vault-Namespace to send, or none */
  vaultNamespace?: string;
  /** PEM CA bundle that must have signed the server's certificate; the system roots otherwise */
  caBundle?: string;
  /** client certificate and key (cert auth) */
  clientCert?: { cert: string; key: string };
}

export function tenantVaultClient(endpoint: TenantEndpoint, token: string | undefined, timeoutMs: number): VaultClient {
  // rpDefaults is untyped in node-vault's declarations; it is where VAULT_SKIP_VERIFY is read.
  const options: Parameters<typeof vault>[0] & { rpDefaults: { strictSSL: boolean } } = {
    endpoint: endpoint.server,
    rpDefaults: { strictSSL: true },
    requestOptions: {
      timeout: timeoutMs,
      strictSSL: true,
      ...(endpoint.caBundle ? { ca: endpoint.caBundle } : {}),
      ...(endpoint.clientCert ? { cert: endpoint.clientCert.cert, key: endpoint.clientCert.key } : {}),
    },
  };
  const client = vault(options);
  const settable = client as unknown as { token?: string; namespace?: string; pathPrefix: string; endpoint: string };
  settable.endpoint = endpoint.server;
  settable.token = token && token.length > 0 ? token : undefined;
  settable.namespace = endpoint.vaultNamespace && endpoint.vaultNamespace.length > 0 ? endpoint.vaultNamespace : undefined;
  settable.pathPrefix = '';
  return client;
}

/**
 * A Vault API path as a URL path: every segment percent-encoded, so a character such as
 * ? or # in a key names a key (as Go's URL escaping makes it for ESO) instead of starting
 * a query string. Vault decodes it back to the same key.
 */
export function encodeApiPath(apiPath: string): string {
  return apiPath.split('/').map(encodeURIComponent).join('/');
}

export interface RawResponse {
  status: number;
  /** the body exactly as Vault sent it (numbers keep their literal text when parsed with parseJsonKeepingNumbers) */
  text: string;
}

/**
 * One Vault API call returning the raw body. Used where bytes matter (reading secret values
 * ESO-exactly); the same explicit endpoint rules as tenantVaultClient, no environment.
 */
export function rawVaultRequest(endpoint: TenantEndpoint, token: string | undefined, method: 'GET' | 'LIST', apiPath: string, query: string, timeoutMs: number): Promise<RawResponse> {
  const url = new URL(`${endpoint.server}/v1/${encodeApiPath(apiPath)}${method === 'LIST' ? `${query ? `${query}&` : '?'}list=true` : query}`);
  const headers: Record<string, string> = {};
  if (token) headers['X-Vault-Token'] = token;
  if (endpoint.vaultNamespace) headers['X-Vault-Namespace'] = endpoint.vaultNamespace;
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = send(
      url,
      {
        method: 'GET',
        headers,
        timeout: timeoutMs,
        ...(url.protocol === 'https:'
          ? { rejectUnauthorized: true, ...(endpoint.caBundle ? { ca: endpoint.caBundle } : {}), ...(endpoint.clientCert ? { cert: endpoint.clientCert.cert, key: endpoint.clientCert.key } : {}) }
          : {}),
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(Object.assign(new Error(`Vault did not answer within ${timeoutMs}ms`), { code: 'ETIMEDOUT' })));
    req.on('error', reject);
    req.end();
  });
}
