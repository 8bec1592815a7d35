// The CLI's side of the dry-run endpoints: where the server is, whose token to send (the
// --token flag, $VAULTGATE_TOKEN, or the current kubeconfig user's bearer token), which CA
// to trust, and one POST per input. Invariant: the token goes only into the Authorization
// header of requests to the server named; it is never printed, not even in an error.
import { readFile } from 'node:fs/promises';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import { bearerToken } from '../dryrun/access.js';
import { UsageError } from './checkInput.js';

export interface ServerTarget {
  url: URL;
  ca?: string;
  token: string;
  timeoutMs: number;
}

export interface ServerReply {
  status: number;
  body: unknown;
}

/** The server could not be reached or did not answer (exit code 2). */
export class ConnectionError extends Error {}

const MAX_REPLY_BYTES = 64 * 1024 * 1024;

export function serverUrl(server: string | undefined): URL {
  if (!server) throw new UsageError('no server: pass --server https://<vaultgate> or set VAULTGATE_SERVER');
  let url: URL;
  try {
    url = new URL(server.endsWith('/') ? server : `${server}/`);
  } catch {
    throw new UsageError(`--server ${JSON.stringify(server)} is not a URL`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--server must be an https:// URL, got ${url.protocol}`);
  return url;
}

export async function readCa(file: string | undefined): Promise<string | undefined> {
  if (!file) return undefined;
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`--ca ${file}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** --token, then $VAULTGATE_TOKEN (commander puts either in `given`), then the kubeconfig's current user. */
export async function resolveToken(given: string | undefined, kubeconfigPath: string | undefined): Promise<string> {
  if (given) return given;
  const kubeConfig = new k8s.KubeConfig();
  try {
    if (kubeconfigPath) kubeConfig.loadFromFile(kubeconfigPath);
    else kubeConfig.loadFromDefault();
  } catch (error) {
    throw new UsageError(`no token: no --token or VAULTGATE_TOKEN, and the kubeconfig could not be read (${error instanceof Error ? error.message : String(error)})`);
  }
  const user = kubeConfig.getCurrentUser();
  if (user) {
    // client-node computes the header for a token, a token file, an exec plugin or an auth provider alike.
    const init = await kubeConfig.applyToFetchOptions({}).catch(() => undefined);
    const token = bearerToken((init?.headers as Headers | undefined)?.get('authorization') ?? undefined);
    if (token) return token;
  }
  const who = user ? `the current kubeconfig user "${user.name}" has no bearer token (a client certificate cannot be checked by vaultgate)` : 'the kubeconfig has no current user';
  throw new UsageError(`no token: ${who}; pass --token or set VAULTGATE_TOKEN (e.g. VAULTGATE_TOKEN=$(kubectl create token <serviceaccount>))`);
}

export function post(target: ServerTarget, path: string, body: Buffer, contentType: string): Promise<ServerReply> {
  const url = new URL(path, target.url);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const request = send(
      url,
      {
        method: 'POST',
        headers: { 'content-type': contentType, 'content-length': body.length, authorization: `Bearer ${target.token}`, accept: 'application/json' },
        ...(target.ca ? { ca: target.ca } : {}),
        timeout: target.timeoutMs,
      },
      (response) => readReply(response).then(resolve, reject),
    );
    request.on('timeout', () => request.destroy(new ConnectionError(`${url.origin} did not answer within ${target.timeoutMs} ms`)));
    request.on('error', (error) => reject(error instanceof ConnectionError ? error : new ConnectionError(connectionProblem(url, error))));
    request.end(body);
  });
}

function connectionProblem(url: URL, error: Error): string {
  const code = (error as { code?: string }).code ?? '';
  const tls = /CERT|SELF_SIGNED|UNABLE_TO|ERR_TLS/.test(code) ? ' (pass --ca with the CA that signed vaultgate\'s certificate, or set VAULTGATE_CA)' : '';
  return `cannot reach ${url.origin}: ${error.message}${tls}`;
}

async function readReply(response: IncomingMessage): Promise<ServerReply> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of response) {
    size += (chunk as Buffer).length;
    if (size > MAX_REPLY_BYTES) throw new ConnectionError(`the server's answer is larger than ${MAX_REPLY_BYTES} bytes`);
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  const status = response.statusCode ?? 0;
  try {
    return { status, body: JSON.parse(text) as unknown };
  } catch {
    throw new ConnectionError(`the server answered ${status} without JSON (is --server a vaultgate?)`);
  }
}
