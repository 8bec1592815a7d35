// Dry-run benchmark: verdicts per second for a 1,000-object multi-document file (warm Vault
// cache; the real CLI's server against the real stack), as YAML and as a JSON List, against
// two baselines measured in the same run: the same 1,000 objects sent to the validating
// webhook one AdmissionReview each (8 connections), and parsing the YAML alone on one
// thread. Then the noisy neighbour: the p99 of small admissions at a fixed rate while
// 1,000-object dry runs are posted back to back, against the same rate alone. Reports
// medians over rounds and ratios; writes .cache/bench/dryrun.json.
import type { ChildProcess } from 'node:child_process';
import { Agent, request } from 'node:https';
import { parseAllDocuments } from 'yaml';
import type { DryRunResult } from '../../src/dryrun/schemas.js';
import { callerToken } from '../env/callers.js';
import { seedTokenStore } from '../env/fixtures.js';
import { freePort, waitFor } from '../env/processes.js';
import { repoRoot, startStack } from '../env/stack.js';
import { fixedRate, type Target } from './load.js';
import { backgroundLoad, median, spawnServe, writeReport, writeServingFiles } from './measure.js';

const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const OBJECTS = 1000;
const ADMISSION_CONNECTIONS = 8;
const NEIGHBOUR_RATE = 200;


/** One ExternalSecret of the file: every tenth misspells a property, so both verdicts are exercised. */
function externalSecret(i: number): Record<string, unknown> {
  return {
    apiVersion: 'external-secrets.io/v1',
    kind: 'ExternalSecret',
    metadata: { name: `app-${i}`, namespace: 'db' },
    spec: {
      secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' },
      refreshInterval: '1h',
      data: [
        { secretKey: 'POSTGRES_USER', remoteRef: { key: 'postgres-secret', property: 'POSTGRES_USER' } },
        { secretKey: 'POSTGRES_PASSWORD', remoteRef: { key: 'postgres-secret', property: i % 10 === 0 ? 'POSTGRES_PASWORD' : 'POSTGRES_PASSWORD' } },
        { secretKey: 'url', remoteRef: { key: 'app/config', property: 'url' } },
      ],
    },
  };
}

function toYaml(object: Record<string, unknown>): string {
  // kustomize-like block YAML, written by hand so the benchmark does not time a YAML writer.
  const es = object as { metadata: { name: string; namespace: string }; spec: { data: { secretKey: string; remoteRef: { key: string; property: string } }[] } };
  return [
    'apiVersion: external-secrets.io/v1',
    'kind: ExternalSecret',
    'metadata:',
    `  name: ${es.metadata.name}`,
    `  namespace: ${es.metadata.namespace}`,
    'spec:',
    '  refreshInterval: 1h',
    '  secretStoreRef:',
    '    kind: ClusterSecretStore',
    '    name: vault-backend',
    '  data:',
    ...es.spec.data.flatMap((d) => [`  - secretKey: ${d.secretKey}`, '    remoteRef:', `      key: ${d.remoteRef.key}`, `      property: ${d.remoteRef.property}`]),
    '',
  ].join('\n');
}

function admissionReview(uid: string, object: Record<string, unknown>): string {
  const metadata = object.metadata as { name: string; namespace: string };
  return JSON.stringify({
    apiVersion: 'admission.k8s.io/v1',
    kind: 'AdmissionReview',
    request: { uid, kind: { group: 'external-secrets.io', version: 'v1', kind: 'ExternalSecret' }, operation: 'CREATE', namespace: metadata.namespace, name: metadata.name, dryRun: true, object },
  });
}

function post(url: string, ca: string, body: string, headers: Record<string, string>, agent?: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', ca, ...(agent ? { agent } : {}), headers: { 'content-length': String(Buffer.byteLength(body)), ...headers } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

function get(url: string, ca: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(url, { ca, timeout: 2000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

async function main(): Promise<void> {
  const stack = await startStack();
  const children: ChildProcess[] = [];
  try {
    await seedTokenStore(stack);
    const tls = await writeServingFiles(stack.dir);
    const { certFile, keyFile } = tls;
    const port = await freePort();
    children.push(
      spawnServe(repoRoot, {
        kubeconfig: stack.kubeconfigPath,
        port,
        certFile,
        keyFile,
        // Warm cache for the whole run: the benchmark measures the dry-run path, not Vault.
        flags: ['--vault-cache-ttl=600000', '--log-level=warn'],
      }),
    );
    const base = `https://127.0.0.1:${port}`;
    await waitFor('vaultgate ready', async () => ((await get(`${base}/readyz`, tls.ca)) === 200 ? true : undefined), { timeoutMs: 60_000 });
    const { token } = await callerToken(stack, 'bench', { rules: [{ apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['create'] }] });

    const objects = Array.from({ length: OBJECTS }, (_, i) => externalSecret(i));
    const yamlBody = objects.map(toYaml).join('---\n');
    const jsonBody = JSON.stringify({ apiVersion: 'v1', kind: 'List', items: objects });
    const reviews = objects.map((object, i) => admissionReview(`bench-${i}`, object));
    const auth = { authorization: `Bearer ${token}` };

    const dryRun = async (body: string, contentType: string): Promise<number> => {
      const started = performance.now();
      const response = await post(`${base}/v1/dry-run`, tls.ca, body, { 'content-type': contentType, ...auth });
      const ms = performance.now() - started;
      const summary = (JSON.parse(response.body) as DryRunResult).summary;
      if (response.status !== 200 || summary.allowed !== OBJECTS * 0.9 || summary.denied !== OBJECTS * 0.1) {
        throw new Error(`unexpected dry-run answer ${response.status}: ${JSON.stringify(summary ?? response.body)}`);
      }
      return ms;
    };
    const admission = async (): Promise<number> => {
      const agent = new Agent({ keepAlive: true, maxSockets: ADMISSION_CONNECTIONS });
      let next = 0;
      let denied = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: ADMISSION_CONNECTIONS }, async () => {
          while (next < reviews.length) {
            const review = reviews[next++] ?? '';
            const response = await post(`${base}/validate`, tls.ca, review, { 'content-type': 'application/json' }, agent);
            if ((JSON.parse(response.body) as { response: { allowed: boolean } }).response.allowed === false) denied++;
          }
        }),
      );
      const ms = performance.now() - started;
      agent.destroy();
      if (denied !== OBJECTS * 0.1) throw new Error(`admission denied ${denied} of ${OBJECTS}`);
      return ms;
    };
    const parseOnly = (): number => {
      const started = performance.now();
      for (const document of parseAllDocuments(yamlBody, { version: '1.1' })) document.toJS();
      return performance.now() - started;
    };

    // Warm up: Vault cache, JIT, the parse worker, connections.
    await dryRun(yamlBody, 'application/yaml');
    await dryRun(jsonBody, 'application/json');
    await admission();

    const times = { yaml: [] as number[], json: [] as number[], admission: [] as number[], parse: [] as number[] };
    for (let round = 0; round < ROUNDS; round++) {
      times.yaml.push(await dryRun(yamlBody, 'application/yaml'));
      times.json.push(await dryRun(jsonBody, 'application/json'));
      times.admission.push(await admission());
      times.parse.push(parseOnly());
    }
    const perSecond = (ms: number) => (OBJECTS / ms) * 1000;
    const medians = {
      yamlMs: median(times.yaml),
      jsonMs: median(times.json),
      admissionMs: median(times.admission),
      yamlParseOnlyMs: median(times.parse),
    };
    const verdictsPerSecond = {
      dryRunYaml: perSecond(medians.yamlMs),
      dryRunJsonList: perSecond(medians.jsonMs),
      admissionOnePerRequest: perSecond(medians.admissionMs),
    };

    // Noisy neighbour: small admissions at a fixed rate, alone and beside 1,000-object dry runs.
    const small: Target = { url: `${base}/validate`, ca: tls.ca, body: reviews[1] ?? '' };
    const alone = { p50: [] as number[], p99: [] as number[], errors: 0 };
    const beside = { p50: [] as number[], p99: [] as number[], errors: 0, dryRuns: [] as number[] };
    for (let round = 0; round < Math.min(ROUNDS, 3); round++) {
      const quiet = await fixedRate(small, NEIGHBOUR_RATE, SECONDS * 1000);
      alone.p50.push(quiet.p50);
      alone.p99.push(quiet.p99);
      alone.errors += quiet.errors;
      const stream = backgroundLoad(repoRoot, 'dryrun-stream', { url: `${base}/v1/dry-run`, ca: tls.ca, token, body: yamlBody });
      const loud = await fixedRate(small, NEIGHBOUR_RATE, SECONDS * 1000);
      beside.dryRuns.push(...(await stream.stop()));
      beside.p50.push(loud.p50);
      beside.p99.push(loud.p99);
      beside.errors += loud.errors;
    }
    const neighbour = {
      rateRps: NEIGHBOUR_RATE,
      alone: { p50Ms: median(alone.p50), p99Ms: median(alone.p99), errors: alone.errors },
      besideDryRuns: { p50Ms: median(beside.p50), p99Ms: median(beside.p99), errors: beside.errors, dryRuns: beside.dryRuns.length, dryRunMedianMs: median(beside.dryRuns) },
    };

    const report = {
      date: new Date().toISOString(),
      rounds: ROUNDS,
      objects: OBJECTS,
      yamlBytes: Buffer.byteLength(yamlBody),
      jsonBytes: Buffer.byteLength(jsonBody),
      medians,
      verdictsPerSecond,
      ratios: {
        dryRunYamlToAdmission: verdictsPerSecond.dryRunYaml / verdictsPerSecond.admissionOnePerRequest,
        dryRunJsonToAdmission: verdictsPerSecond.dryRunJsonList / verdictsPerSecond.admissionOnePerRequest,
        yamlParseShareOfDryRun: medians.yamlParseOnlyMs / medians.yamlMs,
      },
      noisyNeighbour: neighbour,
    };
    const fmt = (n: number, digits = 0) => n.toFixed(digits);
    console.log(`dry-run benchmark: ${OBJECTS} ExternalSecrets per request (${fmt(report.yamlBytes / 1024)} KiB YAML), warm cache, medians of ${ROUNDS} rounds`);
    console.log(`  POST /v1/dry-run, multi-document YAML : ${fmt(medians.yamlMs)} ms, ${fmt(verdictsPerSecond.dryRunYaml)} verdicts/s`);
    console.log(`  POST /v1/dry-run, JSON List            : ${fmt(medians.jsonMs)} ms, ${fmt(verdictsPerSecond.dryRunJsonList)} verdicts/s`);
    console.log(`  baseline: /validate, one review each   : ${fmt(medians.admissionMs)} ms, ${fmt(verdictsPerSecond.admissionOnePerRequest)} verdicts/s (${ADMISSION_CONNECTIONS} connections)`);
    console.log(`  baseline: parsing the YAML alone       : ${fmt(medians.yamlParseOnlyMs)} ms on one thread (${fmt(report.ratios.yamlParseShareOfDryRun * 100)}% of the YAML dry run)`);
    console.log(`  ratios to admission: YAML ${fmt(report.ratios.dryRunYamlToAdmission, 2)}, JSON ${fmt(report.ratios.dryRunJsonToAdmission, 2)}`);
    console.log(`noisy neighbour: small admissions at ${NEIGHBOUR_RATE} req/s, medians of ${Math.min(ROUNDS, 3)} rounds`);
    console.log(`  alone               : p50 ${fmt(neighbour.alone.p50Ms, 2)} ms, p99 ${fmt(neighbour.alone.p99Ms, 2)} ms; errors ${neighbour.alone.errors}`);
    console.log(
      `  beside 1,000-object dry runs: p50 ${fmt(neighbour.besideDryRuns.p50Ms, 2)} ms, p99 ${fmt(neighbour.besideDryRuns.p99Ms, 2)} ms (p99 ratio ${fmt(neighbour.besideDryRuns.p99Ms / neighbour.alone.p99Ms, 2)}); ${neighbour.besideDryRuns.dryRuns} dry runs, median ${fmt(neighbour.besideDryRuns.dryRunMedianMs)} ms each; errors ${neighbour.besideDryRuns.errors}`,
    );
    await writeReport(repoRoot, 'dryrun.json', report);
  } finally {
    for (const child of children) child.kill('SIGTERM');
    await stack.stop();
  }
}

await main();
