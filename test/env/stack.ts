// The real local stack the integration tests and `make dev` run against: etcd,
// kube-apiserver, kube-controller-manager and OpenBao in dev mode, on free loopback ports
// in a temporary directory, with ESO's own CRDs (from the pinned ESO module) and
// vaultgate's installed, and OpenBao's Kubernetes auth method configured against this
// apiserver. The real ESO controller is started on request (test/env/eso.ts).
import { execFile } from 'node:child_process';
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as k8s from '@kubernetes/client-node';
import { parseAllDocuments } from 'yaml';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.js';
import { freePort, freePortPair, ServerProcess, waitFor } from './processes.js';
import { repoRoot } from './repoRoot.js';

// Many harness modules take the root from here.
export { repoRoot };

const SERVICE_ACCOUNT_ISSUER = 'https://kubernetes.default.svc.cluster.local';

export interface CommandResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface Stack {
  dir: string;
  binDir: string;
  kubeconfigPath: string;
  kubeConfig: k8s.KubeConfig;
  apiserverUrl: string;
  clusterCa: KeyPair;
  vault: { addr: string; token: string };
  /** Runs the built kubectl against this cluster. */
  kubectl(args: string[], stdin?: string): Promise<CommandResult>;
  /** Runs the built bao CLI against this OpenBao as root. */
  bao(args: string[], stdin?: string): Promise<CommandResult>;
  /** Applies every object of a YAML text (multi-document and List both work). */
  apply(yamlText: string): Promise<void>;
  stopVault(): Promise<void>;
  /** Stops the apiserver and starts it again on the same port and etcd (watches break, state stays). */
  restartApiserver(downMs?: number): Promise<void>;
  stop(): Promise<void>;
}

export interface StackOptions {
  /** Keep the temporary directory (logs, certificates) after stop. */
  keep?: boolean;
  /** Extra CRD files to install besides ESO's CRDs and vaultgate's own. */
  crdFiles?: string[];
}

let binDirPromise: Promise<string> | undefined;

/** Builds (once, cached) or locates the server binaries; see test/env/build.sh. */
export function serverBinaries(): Promise<string> {
  binDirPromise ??= new Promise((resolvePromise, reject) => {
    execFile(join(repoRoot, 'test/env/build.sh'), { maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      if (error) reject(new Error(`test/env/build.sh failed: ${stderr}`));
      else resolvePromise(stdout.trim().split('\n').pop() ?? '');
    });
  });
  return binDirPromise;
}

function run(command: string, args: string[], env: NodeJS.ProcessEnv, stdin?: string): Promise<CommandResult> {
  return new Promise((resolvePromise) => {
    const child = execFile(command, args, { env: { ...process.env, ...env }, maxBuffer: 1 << 24 }, (error, stdout, stderr) => {
      const code = error ? (typeof error.code === 'number' ? error.code : 1) : 0;
      resolvePromise({ code, stdout, stderr });
    });
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

function httpsGet(url: string, tls: { ca?: string; cert?: string; key?: string; insecure?: boolean }): Promise<{ status: number; body: string }> {
  return new Promise((resolvePromise, reject) => {
    const req = httpsRequest(
      url,
      { ca: tls.ca, cert: tls.cert, key: tls.key, rejectUnauthorized: !tls.insecure, timeout: 2000 },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolvePromise({ status: res.statusCode ?? 0, body }));
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}

async function httpGetStatus(url: string): Promise<number> {
  const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  return response.status;
}

function kubeconfigYaml(server: string, ca: string, admin: KeyPair): string {
  const b64 = (text: string) => Buffer.from(text).toString('base64');
  return [
    'apiVersion: v1',
    'kind: Config',
    'clusters:',
    `- name: vaultgate-test`,
    `  cluster: {server: "${server}", certificate-authority-data: ${b64(ca)}}`,
    'users:',
    `- name: admin`,
    `  user: {client-certificate-data: ${b64(admin.cert)}, client-key-data: ${b64(admin.key)}}`,
    'contexts:',
    `- name: vaultgate-test`,
    `  context: {cluster: vaultgate-test, user: admin}`,
    'current-context: vaultgate-test',
    '',
  ].join('\n');
}

export async function applyYaml(kubeConfig: k8s.KubeConfig, yamlText: string): Promise<void> {
  const client = k8s.KubernetesObjectApi.makeApiClient(kubeConfig);
  const objects: k8s.KubernetesObject[] = [];
  for (const document of parseAllDocuments(yamlText)) {
    const value = document.toJS({ maxAliasCount: 1000 }) as (k8s.KubernetesObject & { items?: k8s.KubernetesObject[] }) | null;
    if (!value) continue;
    if (value.kind === 'List' && Array.isArray(value.items)) objects.push(...value.items);
    else objects.push(value);
  }
  for (const object of objects) {
    try {
      await client.create(object);
    } catch (error) {
      if (!(error instanceof k8s.ApiException) || error.code !== 409) throw error;
      const existing = await client.read(object as k8s.KubernetesObject & { metadata: { name: string } });
      object.metadata = { ...object.metadata, resourceVersion: existing.metadata?.resourceVersion };
      await client.replace(object);
    }
  }
}

/**
 * ESO's store CRDs are too big for client-side apply (the last-applied annotation), so CRDs
 * go in with server-side apply, as ESO documents; then wait until every one is served.
 */
async function installCrds(stack: Stack, files: string[]): Promise<void> {
  const args = ['apply', '--server-side', '--force-conflicts', '--field-manager=vaultgate-test'];
  for (const file of files) args.push('-f', file);
  const applied = await stack.kubectl(args);
  if (applied.code !== 0) throw new Error(`installing CRDs: ${applied.stderr}`);
  const established = await stack.kubectl(['wait', '--for=condition=Established', '--timeout=60s', 'crd', '--all']);
  if (established.code !== 0) throw new Error(`waiting for CRDs: ${established.stderr}`);
}

export async function startStack(options: StackOptions = {}): Promise<Stack> {
  // Ports are found free and bound by a server a moment later; with test files running in
  // parallel, another one's server can take a port in between. Such a start is tried again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await startStackOnce(options);
    } catch (error) {
      if (attempt >= 3 || !/address already in use/.test(error instanceof Error ? error.message : String(error))) throw error;
    }
  }
}

async function startStackOnce(options: StackOptions): Promise<Stack> {
  const binDir = await serverBinaries();
  const bin = (name: string) => join(binDir, name);
  const dir = await mkdtemp(join(tmpdir(), 'vaultgate-stack-'));
  const processes: ServerProcess[] = [];
  const stopAll = async () => {
    for (const p of [...processes].reverse()) await p.stop();
    if (!options.keep) await rm(dir, { recursive: true, force: true });
  };

  try {
    // Credentials: one CA for the apiserver's serving cert and the admin client cert, and
    // an RSA key pair for signing service-account tokens.
    const clusterCa = generateCertificateAuthority('vaultgate-test-cluster-ca');
    const serving = issueCertificate(clusterCa, {
      commonName: 'kube-apiserver',
      dnsNames: ['localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc'],
      ipAddresses: ['127.0.0.1'],
      usage: 'server',
    });
    const admin = issueCertificate(clusterCa, { commonName: 'admin', organizations: ['system:masters'], usage: 'client' });
    const saKeys = generateKeyPairSync('rsa', {
      modulusLength: 2048,
      privateKeyEncoding: { type: 'pkcs1', format: 'pem' },
      publicKeyEncoding: { type: 'spki', format: 'pem' },
    });
    const files = {
      ca: join(dir, 'ca.crt'),
      servingCert: join(dir, 'apiserver.crt'),
      servingKey: join(dir, 'apiserver.key'),
      saKey: join(dir, 'sa.key'),
      saPub: join(dir, 'sa.pub'),
      kubeconfig: join(dir, 'kubeconfig'),
    };
    await Promise.all([
      writeFile(files.ca, clusterCa.cert),
      writeFile(files.servingCert, serving.cert),
      writeFile(files.servingKey, serving.key, { mode: 0o600 }),
      writeFile(files.saKey, saKeys.privateKey, { mode: 0o600 }),
      writeFile(files.saPub, saKeys.publicKey),
      mkdir(join(dir, 'etcd'), { recursive: true }),
    ]);

    const [etcdPort, etcdPeerPort, apiserverPort, kcmPort, vaultPort] = [
      await freePort(),
      await freePort(),
      await freePort(),
      await freePort(),
      await freePortPair(),
    ];

    // etcd and OpenBao need nothing from anyone: start both at once.
    const etcdUrl = `http://127.0.0.1:${etcdPort}`;
    const etcd = new ServerProcess('etcd', bin('etcd'), [
      '--name=vaultgate-test',
      `--data-dir=${join(dir, 'etcd')}`,
      `--listen-client-urls=${etcdUrl}`,
      `--advertise-client-urls=${etcdUrl}`,
      `--listen-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${etcdPeerPort}`,
      `--initial-cluster=vaultgate-test=http://127.0.0.1:${etcdPeerPort}`,
      '--unsafe-no-fsync',
      '--log-level=warn',
    ], dir);
    processes.push(etcd);
    etcd.start();

    const vaultToken = `root-${randomBytes(16).toString('hex')}`;
    const vaultAddr = `http://127.0.0.1:${vaultPort}`;
    const vault = new ServerProcess('openbao', bin('bao'), [
      'server',
      '-dev',
      `-dev-root-token-id=${vaultToken}`,
      `-dev-listen-address=127.0.0.1:${vaultPort}`,
      '-dev-no-store-token',
      '-log-level=warn',
    ], dir, { HOME: dir, BAO_ADDR: vaultAddr });
    processes.push(vault);
    vault.start();

    await waitFor('etcd health', async () => {
      const response = await fetch(`${etcdUrl}/health`, { signal: AbortSignal.timeout(2000) });
      const body = (await response.json()) as { health?: string };
      return body.health === 'true' ? true : undefined;
    }, { process: etcd });

    const apiserverUrl = `https://127.0.0.1:${apiserverPort}`;
    const apiserverArgs = [
      `--etcd-servers=${etcdUrl}`,
      '--bind-address=127.0.0.1',
      '--advertise-address=127.0.0.1',
      `--secure-port=${apiserverPort}`,
      `--tls-cert-file=${files.servingCert}`,
      `--tls-private-key-file=${files.servingKey}`,
      `--client-ca-file=${files.ca}`,
      '--authorization-mode=RBAC',
      `--service-account-issuer=${SERVICE_ACCOUNT_ISSUER}`,
      `--service-account-key-file=${files.saPub}`,
      `--service-account-signing-key-file=${files.saKey}`,
      `--api-audiences=${SERVICE_ACCOUNT_ISSUER}`,
      '--service-cluster-ip-range=10.96.0.0/24',
      '--endpoint-reconciler-type=none',
      '--enable-priority-and-fairness=false',
      '--profiling=false',
      '--allow-privileged=true',
      `--cert-dir=${join(dir, 'apiserver-certs')}`,
      '--v=0',
    ];
    let apiserver = new ServerProcess('kube-apiserver', bin('kube-apiserver'), apiserverArgs, dir);
    processes.push(apiserver);
    apiserver.start();

    const kubeconfigText = kubeconfigYaml(apiserverUrl, clusterCa.cert, admin);
    await writeFile(files.kubeconfig, kubeconfigText, { mode: 0o600 });
    const kubeConfig = new k8s.KubeConfig();
    kubeConfig.loadFromString(kubeconfigText);

    await waitFor('kube-apiserver /readyz', async () => {
      const { status } = await httpsGet(`${apiserverUrl}/readyz`, { ca: clusterCa.cert, cert: admin.cert, key: admin.key });
      return status === 200 ? true : undefined;
    }, { process: apiserver, timeoutMs: 90_000 });

    const controllerManager = new ServerProcess('kube-controller-manager', bin('kube-controller-manager'), [
      `--kubeconfig=${files.kubeconfig}`,
      `--authentication-kubeconfig=${files.kubeconfig}`,
      `--authorization-kubeconfig=${files.kubeconfig}`,
      '--bind-address=127.0.0.1',
      `--secure-port=${kcmPort}`,
      `--cert-dir=${join(dir, 'kcm-certs')}`,
      '--leader-elect=false',
      '--controllers=garbage-collector-controller,namespace-controller,serviceaccount-controller',
      `--service-account-private-key-file=${files.saKey}`,
      `--root-ca-file=${files.ca}`,
      '--use-service-account-credentials=false',
      '--concurrent-gc-syncs=5',
      '--v=0',
    ], dir);
    processes.push(controllerManager);
    controllerManager.start();

    const stack: Stack = {
      dir,
      binDir,
      kubeconfigPath: files.kubeconfig,
      kubeConfig,
      apiserverUrl,
      clusterCa,
      vault: { addr: vaultAddr, token: vaultToken },
      kubectl: (args, stdin) => run(bin('kubectl'), [`--kubeconfig=${files.kubeconfig}`, ...args], {}, stdin),
      bao: (args, stdin) => run(bin('bao'), args, { BAO_ADDR: vaultAddr, BAO_TOKEN: vaultToken, HOME: dir }, stdin),
      apply: (yamlText) => applyYaml(kubeConfig, yamlText),
      stopVault: () => vault.stop(),
      restartApiserver: async (downMs = 0) => {
        await apiserver.stop();
        if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
        apiserver = new ServerProcess('kube-apiserver', bin('kube-apiserver'), apiserverArgs, dir);
        processes.push(apiserver);
        apiserver.start();
        await waitFor('kube-apiserver /readyz after restart', async () => {
          const { status } = await httpsGet(`${apiserverUrl}/readyz`, { ca: clusterCa.cert, cert: admin.cert, key: admin.key });
          return status === 200 ? true : undefined;
        }, { process: apiserver, timeoutMs: 90_000 });
      },
      stop: stopAll,
    };

    const crdFiles = [
      join(binDir, 'external-secrets-crds.yaml'),
      join(repoRoot, 'manifests/crds/vaultpathpolicies.vaultgate.dev.yaml'),
      ...(options.crdFiles ?? []),
    ];
    await Promise.all([
      installCrds(stack, crdFiles),
      (async () => {
        await waitFor('OpenBao unsealed', async () => ((await httpGetStatus(`${vaultAddr}/v1/sys/health`)) === 200 ? true : undefined), { process: vault });
        await configureVaultKubernetesAuth(stack);
      })(),
      waitFor('kube-controller-manager /healthz', async () => {
        const { status } = await httpsGet(`https://127.0.0.1:${kcmPort}/healthz`, { insecure: true });
        return status === 200 ? true : undefined;
      }, { process: controllerManager, timeoutMs: 60_000 }),
    ]);
    return stack;
  } catch (error) {
    const logs = processes.map((p) => `--- ${p.name} ---\n${p.logTail(15)}`).join('\n');
    await stopAll();
    throw new Error(`${error instanceof Error ? error.message : String(error)}\n${logs}`);
  }
}

/**
 * Enables the Kubernetes auth method at auth/kubernetes, reviewing tokens with a
 * dedicated service account bound to system:auth-delegator (as a real install does).
 */
async function configureVaultKubernetesAuth(stack: Stack): Promise<void> {
  const reviewer = { namespace: 'kube-system', name: 'openbao-token-reviewer' };
  await stack.apply(`
apiVersion: v1
kind: ServiceAccount
metadata: {name: ${reviewer.name}, namespace: ${reviewer.namespace}}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: openbao-token-reviewer}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: 'system:auth-delegator'}
subjects: [{kind: ServiceAccount, name: ${reviewer.name}, namespace: ${reviewer.namespace}}]
`);
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const tokenRequest = await core.createNamespacedServiceAccountToken({
    name: reviewer.name,
    namespace: reviewer.namespace,
    body: { spec: { audiences: [SERVICE_ACCOUNT_ISSUER], expirationSeconds: 48 * 3600 } },
  });
  const reviewerJwt = tokenRequest.status?.token;
  if (!reviewerJwt) throw new Error('TokenRequest for the OpenBao token reviewer returned no token');
  const vaultApi = async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.vault.addr}/v1/${path}`, {
      method,
      headers: { 'X-Vault-Token': stack.vault.token, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
      signal: AbortSignal.timeout(5000),
    });
    if (!response.ok) throw new Error(`OpenBao ${method} ${path}: ${response.status} ${await response.text()}`);
  };
  await vaultApi('POST', 'sys/auth/kubernetes', { type: 'kubernetes' });
  await vaultApi('POST', 'auth/kubernetes/config', {
    kubernetes_host: stack.apiserverUrl,
    kubernetes_ca_cert: stack.clusterCa.cert,
    token_reviewer_jwt: reviewerJwt,
    disable_local_ca_jwt: true,
  });
}
