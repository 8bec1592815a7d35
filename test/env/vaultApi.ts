// Writing test data into the stack's OpenBao over its HTTP API as root: exact JSON bodies
// (numbers, nesting, nulls), versions, deletions and custom metadata, which the CLI's
// key=value form cannot express.
import type { Stack } from './stack.js';

export async function vaultApi(stack: Stack, method: string, path: string, body?: unknown): Promise<unknown> {
  const response = await fetch(`${stack.vault.addr}/v1/${path}`, {
    method,
    headers: { 'X-Vault-Token': stack.vault.token, 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`OpenBao ${method} ${path}: ${response.status} ${text}`);
  return text ? (JSON.parse(text) as unknown) : undefined;
}

/** Writes one KV v2 version; `data` may be raw JSON text (to keep number literals as written). */
export async function kvPut(stack: Stack, mount: string, key: string, data: Record<string, unknown> | string): Promise<void> {
  const body = typeof data === 'string' ? `{"data":${data}}` : { data };
  await vaultApi(stack, 'POST', `${mount}/data/${key}`, body);
}

export async function kvMetadata(stack: Stack, mount: string, key: string, customMetadata: Record<string, string>): Promise<void> {
  await vaultApi(stack, 'POST', `${mount}/metadata/${key}`, { custom_metadata: customMetadata });
}

export async function policy(stack: Stack, name: string, hcl: string): Promise<void> {
  await vaultApi(stack, 'PUT', `sys/policies/acl/${name}`, { policy: hcl });
}

export async function token(stack: Stack, policies: string[]): Promise<string> {
  const response = (await vaultApi(stack, 'POST', 'auth/token/create', { policies, ttl: '4h' })) as { auth: { client_token: string } };
  return response.auth.client_token;
}
