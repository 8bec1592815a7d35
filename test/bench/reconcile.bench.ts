// Reconciler and admission benchmarks on the real stack, each against a baseline measured in
// the same run:
// 1. Sync from cold: N ExternalSecrets (default 2,000) over N/10 distinct Vault paths, by the
//    real `vaultgate serve --reconcile` process (Kubernetes auth, so logins are counted): wall
//    time, Vault reads (goal: one per distinct path), logins, CPU seconds, peak RSS; then the
//    real ESO controller on the same number of objects, with its default and --concurrent=10.
// 2. Admission through the real apiserver: p50/p99 of creating ExternalSecrets with no
//    webhooks, then with vaultgate's (warm Vault cache, cold cache, and with the Secret
//    created at admission).
// Results go to .cache/bench/reconcile.json. BENCH_RECONCILE_COUNT sets N; BENCH_PARTS
// (default "vaultgate,admission,eso") picks parts, e.g. BENCH_PARTS=vaultgate while tuning.
import type { ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import * as k8s from '@kubernetes/client-node';
import pLimit from 'p-limit';
import { mutatingWebhookConfiguration, validatingWebhookConfiguration } from '../../src/admission/webhookConfigurations.js';
import { cpuSeconds, residentMemory, spawnServe, writeReport, writeServingFiles } from './measure.js';
import { startEso } from '../env/eso.js';
import { vaultClusterStore } from '../env/fixtures.js';
import { freePort, waitFor } from '../env/processes.js';
import { repoRoot, startStack, type Stack } from '../env/stack.js';
import { kvPut, policy, vaultApi } from '../env/vaultApi.js';
import { VAULTGATE_NAMESPACE } from '../env/vaultgate.js';
import { vaultgateKubeconfigFile } from '../env/vaultgateProcess.js';

const COUNT = Number(process.env.BENCH_RECONCILE_COUNT ?? 2000);
const PATHS = Math.max(1, Math.floor(COUNT / 10));
const ADMISSIONS = Number(process.env.BENCH_ADMISSIONS ?? 200);
const PARTS = new Set((process.env.BENCH_PARTS ?? 'vaultgate,admission,eso').split(','));

const percentile = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
};

function metric(text: string, name: string, labels = ''): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) {
      if (labels && !line.includes(labels)) continue;
      total += Number(line.slice(line.lastIndexOf(' ') + 1));
    }
  }
  return total;
}

async function seed(stack: Stack): Promise<void> {
  for (let i = 0; i < PATHS; i++) await kvPut(stack, 'secret', `bench/p${i}`, { user: `u${i}`, password: `p${i}` });
  await policy(stack, 'bench-read', 'path "secret/data/bench/*" { capabilities = ["read"] }');
  await vaultApi(stack, 'POST', 'auth/kubernetes/role/bench', { bound_service_account_names: ['bench-sa'], bound_service_account_namespaces: ['external-secrets'], token_policies: ['bench-read'], token_ttl: '1h' });
  const auth = '{kubernetes: {mountPath: kubernetes, role: bench, serviceAccountRef: {name: bench-sa, namespace: external-secrets}}}';
  const store = (name: string, controller: string) => vaultClusterStore(stack, name, auth, { controller });
  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: external-secrets}
---
apiVersion: v1
kind: ServiceAccount
metadata: {name: bench-sa, namespace: external-secrets}
---
${store('bench-vaultgate', 'vaultgate')}
---
${store('bench-eso', '')}
---
${store('bench-eso10', 'eso10')}
`);
}

/** N ExternalSecrets in a fresh namespace, 10 per Vault path, created 20 at a time. */
async function createExternalSecrets(stack: Stack, namespace: string, store: string): Promise<void> {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const limit = pLimit(20);
  await Promise.all(
    Array.from({ length: COUNT }, (_, i) =>
      limit(() =>
        custom.createNamespacedCustomObject({
          group: 'external-secrets.io',
          version: 'v1',
          namespace,
          plural: 'externalsecrets',
          body: {
            apiVersion: 'external-secrets.io/v1',
            kind: 'ExternalSecret',
            metadata: { name: `es-${i}`, namespace },
            spec: {
              refreshInterval: '1h',
              secretStoreRef: { kind: 'ClusterSecretStore', name: store },
              target: { creationPolicy: 'Owner', deletionPolicy: 'Retain' },
              data: [{ secretKey: 'password', remoteRef: { key: `bench/p${i % PATHS}`, property: 'password' } }],
            },
          },
        }),
      ),
    ),
  );
}

async function readyCount(stack: Stack, namespace: string): Promise<number> {
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  const list = (await custom.listNamespacedCustomObject({ group: 'external-secrets.io', version: 'v1', namespace, plural: 'externalsecrets' })) as { items: { status?: { conditions?: { type: string; status: string }[] } }[] };
  return list.items.filter((item) => item.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')).length;
}

async function untilAllReady(stack: Stack, namespace: string, timeoutMs: number): Promise<number> {
  const started = Date.now();
  await waitFor(`${COUNT} ExternalSecrets Ready in ${namespace}`, async () => ((await readyCount(stack, namespace)) >= COUNT ? true : undefined), { timeoutMs, intervalMs: 500 });
  return Date.now() - started;
}

interface VaultgateProcess {
  child: ChildProcess;
  url: string;
  ca: string;
  metrics(): Promise<string>;
  stop(): Promise<void>;
}

async function startVaultgateProcess(stack: Stack, flags: string[]): Promise<VaultgateProcess> {
  const kubeconfig = await vaultgateKubeconfigFile(stack);
  const tls = await writeServingFiles(stack.dir);
  const port = await freePort();
  const child = spawnServe(repoRoot, { kubeconfig, port, certFile: tls.certFile, keyFile: tls.keyFile, flags: [`--namespace=${VAULTGATE_NAMESPACE}`, '--log-level=error', ...flags] });
  const url = `https://127.0.0.1:${port}`;
  const get = (path: string) =>
    new Promise<string>((resolve, reject) => {
      const req = httpsRequest(`${url}${path}`, { ca: tls.ca, timeout: 5000 }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c: string) => (body += c));
        res.on('end', () => resolve(body));
      });
      req.on('error', reject);
      req.end();
    });
  await waitFor('vaultgate ready', async () => ((await get('/readyz').catch(() => '')).includes('"ready"') ? true : undefined), { timeoutMs: 60_000 });
  return {
    child,
    url,
    ca: tls.ca,
    metrics: () => get('/metrics'),
    stop: async () => {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

async function registerWebhooks(stack: Stack, target: { url: string; ca: string } | undefined): Promise<void> {
  const api = stack.kubeConfig.makeApiClient(k8s.AdmissionregistrationV1Api);
  await api.deleteValidatingWebhookConfiguration({ name: 'vaultgate' }).catch(() => undefined);
  await api.deleteMutatingWebhookConfiguration({ name: 'vaultgate' }).catch(() => undefined);
  if (!target) return;
  const options = { name: 'vaultgate', target: { url: target.url }, caBundle: target.ca, ownNamespace: VAULTGATE_NAMESPACE };
  await api.createMutatingWebhookConfiguration({ body: mutatingWebhookConfiguration(options) });
  await api.createValidatingWebhookConfiguration({ body: validatingWebhookConfiguration(options) });
  await new Promise((resolve) => setTimeout(resolve, 2000)); // the apiserver picks up webhook configurations asynchronously
}

/** p50/p99 of creating ExternalSecrets one after another through the apiserver. */
async function admissionLatency(stack: Stack, namespace: string, store: string, samePath: boolean): Promise<{ p50Ms: number; p99Ms: number; errors: number }> {
  const core = stack.kubeConfig.makeApiClient(k8s.CoreV1Api);
  const custom = stack.kubeConfig.makeApiClient(k8s.CustomObjectsApi);
  await core.createNamespace({ body: { metadata: { name: namespace } } });
  const latencies: number[] = [];
  let errors = 0;
  for (let i = 0; i < ADMISSIONS; i++) {
    const started = performance.now();
    try {
      await custom.createNamespacedCustomObject({
        group: 'external-secrets.io',
        version: 'v1',
        namespace,
        plural: 'externalsecrets',
        body: {
          apiVersion: 'external-secrets.io/v1',
          kind: 'ExternalSecret',
          metadata: { name: `adm-${i}`, namespace },
          spec: { refreshInterval: '1h', secretStoreRef: { kind: 'ClusterSecretStore', name: store }, data: [{ secretKey: 'password', remoteRef: { key: `bench/p${samePath ? 0 : i % PATHS}`, property: 'password' } }] },
        },
      });
      latencies.push(performance.now() - started);
    } catch {
      errors++;
    }
  }
  return { p50Ms: percentile(latencies, 50), p99Ms: percentile(latencies, 99), errors };
}

/** Admission latency through the apiserver: no webhooks (while `running` reconciles), then vaultgate's in three setups. */
async function admissionBenchmark(stack: Stack, running: VaultgateProcess): Promise<Record<string, unknown>> {
  await registerWebhooks(stack, undefined);
  const none = await admissionLatency(stack, 'adm-none', 'bench-vaultgate', true);
  await running.stop();
  const scenarios: [string, string[], boolean][] = [
    ['warm cache, no Secret at admission', ['--vault-cache-ttl=600000'], true],
    ['cold cache, no Secret at admission', ['--vault-cache-ttl=1'], false],
    ['warm cache, Secret created at admission', ['--vault-cache-ttl=600000', '--reconcile', '--controller-class=vaultgate'], true],
  ];
  const admission: Record<string, unknown> = { 'no webhooks': none };
  for (const [i, [name, flags, samePath]] of scenarios.entries()) {
    const process_ = await startVaultgateProcess(stack, flags);
    await registerWebhooks(stack, process_);
    if (samePath) await admissionLatency(stack, `adm-warmup-${i}`, 'bench-vaultgate', true).catch(() => undefined);
    admission[name] = await admissionLatency(stack, `adm-${i}`, 'bench-vaultgate', samePath);
    await registerWebhooks(stack, undefined);
    await process_.stop();
  }
  for (const [name, r] of Object.entries(admission) as [string, { p50Ms: number; p99Ms: number; errors: number }][]) {
    console.log(`admission ${name.padEnd(40)}: p50 ${r.p50Ms.toFixed(1)} ms, p99 ${r.p99Ms.toFixed(1)} ms (p50 ratio to none ${(r.p50Ms / none.p50Ms).toFixed(2)}); errors ${r.errors}`);
  }
  return admission;
}

async function main(): Promise<void> {
  const stack = await startStack();
  const report: Record<string, unknown> = { date: new Date().toISOString(), externalSecrets: COUNT, distinctPaths: PATHS };
  try {
    await seed(stack);

    // 1a. vaultgate from cold.
    await createExternalSecrets(stack, 'bench-vg', 'bench-vaultgate');
    const vaultgate = await startVaultgateProcess(stack, ['--reconcile', '--controller-class=vaultgate', '--concurrent=8', '--vault-cache-ttl=600000']);
    const cpuBefore = await cpuSeconds(vaultgate.child.pid);
    const vgMs = await untilAllReady(stack, 'bench-vg', 600_000);
    const vgMetrics = await vaultgate.metrics();
    const vg = {
      wallSeconds: vgMs / 1000,
      vaultReads: metric(vgMetrics, 'vaultgate_vault_reads_total'),
      vaultLogins: metric(vgMetrics, 'vaultgate_vault_logins_total'),
      cpuSeconds: (await cpuSeconds(vaultgate.child.pid)) - cpuBefore,
      peakRssMiB: (await residentMemory(vaultgate.child.pid))?.peakRssMiB ?? Number.NaN,
    };
    report.vaultgate = vg;
    console.log(`vaultgate: ${COUNT} ExternalSecrets over ${PATHS} paths from cold in ${vg.wallSeconds.toFixed(1)} s; Vault reads ${vg.vaultReads} (distinct paths ${PATHS}); logins ${vg.vaultLogins}; CPU ${vg.cpuSeconds.toFixed(1)} s; peak RSS ${vg.peakRssMiB.toFixed(0)} MiB`);

    // 2. Admission, with vaultgate's webhooks against none, while the reconciler runs.
    if (PARTS.has('admission')) report.admission = await admissionBenchmark(stack, vaultgate);
    else await vaultgate.stop();

    // 1b. The real ESO on the same number of objects, default concurrency and --concurrent=10.
    const esoRuns = [
      ['eso (default --concurrent=1)', 'bench-eso', {}],
      ['eso --concurrent=10', 'bench-eso10', { controllerClass: 'eso10', concurrent: 10 }],
    ] as const;
    for (const [label, store, options] of PARTS.has('eso') ? esoRuns : []) {
      const namespace = store;
      await createExternalSecrets(stack, namespace, store);
      const eso = await startEso(stack, { ...options, logLevel: 'error' });
      const esoCpuBefore = await cpuSeconds(eso.process.pid);
      const ms = await untilAllReady(stack, namespace, 1_800_000);
      const esoMetrics = await eso.metrics();
      const result = {
        wallSeconds: ms / 1000,
        vaultReads: metric(esoMetrics, 'externalsecret_provider_api_calls_count', 'call="ReadSecretData"'),
        vaultLogins: metric(esoMetrics, 'externalsecret_provider_api_calls_count', 'call="Login"'),
        cpuSeconds: (await cpuSeconds(eso.process.pid)) - esoCpuBefore,
        peakRssMiB: (await residentMemory(eso.process.pid))?.peakRssMiB ?? Number.NaN,
      };
      report[label] = result;
      console.log(`${label}: ${COUNT} in ${result.wallSeconds.toFixed(1)} s (vaultgate ${(result.wallSeconds / vg.wallSeconds).toFixed(1)}x faster); Vault reads ${result.vaultReads}; logins ${result.vaultLogins}; CPU ${result.cpuSeconds.toFixed(1)} s; peak RSS ${result.peakRssMiB.toFixed(0)} MiB`);
      await eso.stop();
    }
  } finally {
    await stack.stop();
  }
  await writeReport(repoRoot, 'reconcile.json', report);
}

await main();
