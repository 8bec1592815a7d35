// An OpenBao that keeps its data on disk (not dev mode), for the outages a reconciler must
// survive: sealed (and unsealed again with its key), stopped and started again (it comes
// back sealed, as a real Vault does after a restart, then is unsealed).
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePortPair, ServerProcess, waitFor } from './processes.js';
import type { Stack } from './stack.js';

export interface PersistentVault {
  addr: string;
  token: string;
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  seal(): Promise<void>;
  unseal(): Promise<void>;
  stop(): Promise<void>;
  /** starts the stopped server again; it comes back sealed */
  start(): Promise<void>;
}

export async function startPersistentVault(stack: Stack): Promise<PersistentVault> {
  const port = await freePortPair();
  const dir = join(stack.dir, `openbao-file-${port}`);
  await mkdir(join(dir, 'data'), { recursive: true });
  const config = join(dir, 'config.hcl');
  await writeFile(
    config,
    [
      `storage "file" { path = "${join(dir, 'data')}" }`,
      `listener "tcp" {`,
      `  address = "127.0.0.1:${port}"`,
      `  cluster_address = "127.0.0.1:${port + 1}"`,
      `  tls_disable = true`,
      `}`,
      `api_addr = "http://127.0.0.1:${port}"`,
      `cluster_addr = "http://127.0.0.1:${port + 1}"`,
      'disable_mlock = true',
      '',
    ].join('\n'),
  );
  const addr = `http://127.0.0.1:${port}`;
  let token = '';
  let key = '';
  let server: ServerProcess | undefined;
  const api = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${addr}/v1/${path}`, {
      method,
      headers: { ...(token ? { 'X-Vault-Token': token } : {}), 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await response.text();
    if (!response.ok) throw new Error(`OpenBao ${method} ${path}: ${response.status} ${text}`);
    return text ? (JSON.parse(text) as unknown) : undefined;
  };
  const launch = async () => {
    server = new ServerProcess(`openbao-file-${port}-${randomBytes(2).toString('hex')}`, join(stack.binDir, 'bao'), ['server', `-config=${config}`, '-log-level=warn'], stack.dir, { HOME: stack.dir });
    server.start();
    // Answers (sealed or not) once listening.
    await waitFor('persistent OpenBao listening', async () => {
      const response = await fetch(`${addr}/v1/sys/seal-status`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.ok ? true : undefined;
    }, { process: server });
  };
  const unseal = async () => {
    await api('PUT', 'sys/unseal', { key });
    await waitFor('persistent OpenBao unsealed and active', async () => {
      const response = await fetch(`${addr}/v1/sys/health`, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      return response.status === 200 ? true : undefined;
    });
  };
  await launch();
  const init = (await api('PUT', 'sys/init', { secret_shares: 1, secret_threshold: 1 })) as { keys_base64: string[]; root_token: string };
  key = init.keys_base64[0] ?? '';
  token = init.root_token;
  await unseal();
  await api('POST', 'sys/mounts/secret', { type: 'kv', options: { version: '2' } });
  return {
    addr,
    get token() {
      return token;
    },
    api,
    seal: async () => {
      await api('PUT', 'sys/seal');
    },
    unseal,
    stop: async () => {
      await server?.stop();
    },
    start: launch,
  };
}
