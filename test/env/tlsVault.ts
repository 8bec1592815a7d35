// A second OpenBao for a stack, serving HTTPS with its own generated CA (-dev-tls), so
// stores' caBundle, caProvider and certificate auth are exercised against a real TLS
// listener: a client that does not trust that CA must fail, whatever VAULT_SKIP_VERIFY says.
import { randomBytes } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { freePortPair, ServerProcess, waitFor } from './processes.js';
import type { Stack } from './stack.js';

export interface TlsVault {
  addr: string;
  token: string;
  /** PEM of the CA that signed the listener's certificate */
  ca: string;
  /** calls the HTTP API as root */
  api(method: string, path: string, body?: unknown): Promise<unknown>;
  stop(): Promise<void>;
}

export async function startTlsVault(stack: Stack): Promise<TlsVault> {
  const port = await freePortPair();
  const token = `root-${randomBytes(16).toString('hex')}`;
  const certDir = join(stack.dir, `tls-vault-${port}`);
  const addr = `https://127.0.0.1:${port}`;
  await mkdir(certDir, { recursive: true });
  const bao = new ServerProcess(`openbao-tls-${port}`, join(stack.binDir, 'bao'), [
    'server',
    '-dev',
    '-dev-tls',
    `-dev-tls-cert-dir=${certDir}`,
    `-dev-root-token-id=${token}`,
    `-dev-listen-address=127.0.0.1:${port}`,
    '-dev-no-store-token',
    '-log-level=warn',
  ], stack.dir, { HOME: stack.dir, BAO_ADDR: addr });
  bao.start();
  const ca = await waitFor('TLS OpenBao CA written', async () => readFile(join(certDir, 'vault-ca.pem'), 'utf8').catch(() => undefined), { process: bao });
  const api = (method: string, path: string, body?: unknown) =>
    new Promise<unknown>((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpsRequest(`${addr}/v1/${path}`, { method, ca, headers: { 'X-Vault-Token': token, 'Content-Type': 'application/json' }, timeout: 10_000 }, (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () => {
          if ((res.statusCode ?? 0) >= 400) reject(new Error(`TLS OpenBao ${method} ${path}: ${res.statusCode} ${text}`));
          else resolve(text ? (JSON.parse(text) as unknown) : undefined);
        });
      });
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', reject);
      req.end(payload);
    });
  await waitFor('TLS OpenBao unsealed', async () => ((await api('GET', 'sys/health').catch(() => undefined)) ? true : undefined), { process: bao });
  return { addr, token, ca, api, stop: () => bao.stop() };
}
