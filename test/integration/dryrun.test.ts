// The dry-run endpoints and `vaultgate check` against the real stack: the CLI runs as a
// child process with real tokens (ServiceAccounts, TokenReview, SubjectAccessReview), its
// verdicts are held against what kubectl apply gets from the webhooks for the same files,
// and a VaultPathPolicy change is judged against ExternalSecrets that exist in the cluster.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { request } from 'node:https';
import { join } from 'node:path';
import fastJsonPatch from 'fast-json-patch';
import { parse as parseYaml } from 'yaml';
import type { CheckReport } from '../../src/cli/checkReport.js';
import { warningLines } from '../../src/core/message.js';
import type { DryRunResult, PolicyImpactResult } from '../../src/dryrun/schemas.js';
import type { RunningServer } from '../../src/server.js';
import { callerToken, checkEnvironment } from '../env/callers.js';
import { seedTokenStore } from '../env/fixtures.js';
import { kvPut } from '../env/vaultApi.js';
import { waitFor } from '../env/processes.js';
import { repoRoot, startStack, type Stack } from '../env/stack.js';
import { startVaultgate } from '../env/vaultgate.js';

let stack: Stack;
let server: RunningServer & { ca: string };
let caFile: string;
let manifests: string;
const tokens = { ci: '', outsider: '', platform: '' };

const externalSecret = (name: string, namespace: string, data: { key: string; property?: string }[], extra = '') => `apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: ${name}, namespace: ${namespace}}
spec:
  secretStoreRef: {kind: ClusterSecretStore, name: vault-backend}
${extra}  data:
${data.map((d, i) => `    - secretKey: k${i}\n      remoteRef: {key: ${d.key}${d.property ? `, property: ${d.property}` : ''}}`).join('\n')}
`;

const tenantPaths = (allow: string[]) => `apiVersion: vaultgate.dev/v1alpha1
kind: VaultPathPolicy
metadata: {name: tenant-paths}
spec:
  namespaceSelector: {matchLabels: {team: payments}}
  stores: [{kind: ClusterSecretStore, name: vault-backend}]
  allow: ${JSON.stringify(allow)}
`;

const FILES: Record<string, string> = {
  'good/pg.yaml': externalSecret('pg', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }, { key: 'postgres-secret', property: 'POSTGRES_PASSWORD' }]),
  'good/apps.yaml': [
    externalSecret('stripe-ok', 'payments', [{ key: 'payments/stripe', property: 'api_key' }]),
    externalSecret('fast', 'db', [{ key: 'app/config', property: 'mode' }], '  refreshInterval: 10s\n'),
    'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: settings, namespace: db}\ndata: {a: b}\n',
  ].join('---\n'),
  'bad/typo.yaml': externalSecret('typo', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_PASWORD' }]),
  'bad/tenancy.json': JSON.stringify({
    apiVersion: 'v1',
    kind: 'List',
    items: [
      parseYaml(externalSecret('cross', 'payments', [{ key: 'postgres-secret', property: 'POSTGRES_PASSWORD' }])),
      parseYaml(externalSecret('many', 'db', [{ key: 'locked/x' }, { key: 'app/does-not-exist' }], '  refreshInterval: 1d\n')),
    ],
  }),
};

function cli(args: string[], env: Record<string, string> = {}, stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(
      process.execPath,
      [join(repoRoot, 'dist/src/cli/main.js'), 'check', ...args],
      { env: { PATH: process.env.PATH ?? '', HOME: stack.dir, KUBECONFIG: join(stack.dir, 'no-kubeconfig'), ...env } },
      (error, stdout, stderr) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
    if (stdin !== undefined) child.stdin?.end(stdin);
  });
}

const asCi = (args: string[], stdin?: string) => cli(['--server', server.url, '--ca', caFile, ...args], { VAULTGATE_TOKEN: tokens.ci }, stdin);

function post(path: string, body: string | Buffer, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${server.url}${path}`, { method: 'POST', ca: server.ca, headers: { 'content-type': 'application/yaml', ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

t.before(async () => {
  stack = await startStack();
  await seedTokenStore(stack);
  await kvPut(stack, 'secret', 'locked/x', { k: 'v' });
  await kvPut(stack, 'secret', 'payments/stripe', { api_key: 'sk_test_value' });
  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: payments, labels: {team: payments}}
---
apiVersion: v1
kind: Namespace
metadata: {name: analytics}
---
${tenantPaths(['secret/{namespace}/*'])}`);
  server = await startVaultgate(stack);
  await waitFor('policy and store watched', async () => (server.cluster.policies.list().length === 1 && server.cluster.clusterSecretStores.list().length === 1 ? true : undefined));
  caFile = join(stack.dir, 'vaultgate-ca.crt');
  await writeFile(caFile, server.ca);
  const createExternalSecrets = [{ apiGroups: ['external-secrets.io'], resources: ['externalsecrets'], verbs: ['create'] }];
  tokens.ci = (await callerToken(stack, 'ci', { rules: createExternalSecrets, namespaces: ['db', 'payments'] })).token;
  tokens.outsider = (await callerToken(stack, 'outsider', { rules: [] })).token;
  tokens.platform = (await callerToken(stack, 'platform', { rules: [{ apiGroups: ['vaultgate.dev'], resources: ['vaultpathpolicies'], verbs: ['create'] }] })).token;
  manifests = join(stack.dir, 'manifests');
  for (const [name, content] of Object.entries(FILES)) {
    await mkdir(join(manifests, name, '..'), { recursive: true });
    await writeFile(join(manifests, name), content);
  }
});

t.teardown(async () => {
  await server?.close();
  await stack?.stop();
});

t.test('a directory of good and bad ExternalSecrets: every violation printed, exit 1; only good ones: exit 0', async (t) => {
  const result = await asCi(['-f', manifests]);
  t.equal(result.code, 1, result.stderr);
  const out = result.stdout;
  t.match(out, `Error from vaultgate (Denied): "${manifests}/bad/typo.yaml" document 1 (line 1): ExternalSecret db/typo:\n  spec.data[0].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)\n`);
  t.match(out, `Error from vaultgate (Denied): "${manifests}/bad/tenancy.json" document 1 item 0: ExternalSecret payments/cross:\n  spec.data[0].remoteRef.key: namespace "payments" may not read secret/postgres-secret (policy tenant-paths)\n`);
  t.match(out, /ExternalSecret db\/many:\n  spec\.refreshInterval: "1d" is not a Go duration.*\n  spec\.data\[0\]\.remoteRef\.key: the Vault identity of ClusterSecretStore "vault-backend" may not read secret\/data\/locked\/x \(capabilities: deny\)\n  spec\.data\[1\]\.remoteRef\.key: secret\/app\/does-not-exist not found in Vault\n/);
  t.match(out, `"${manifests}/good/apps.yaml" document 2 (line 10): ExternalSecret db/fast:\n  Warning: spec.refreshInterval: "10s" reads Vault more than once a minute per ExternalSecret\n`);
  t.match(out, /\n6 ExternalSecrets in 4 files: 3 allowed, 3 denied; 1 other object skipped\n$/);
  t.notMatch(out, /sk_test_value|s3cr3t-value/, 'no secret value, ever');

  const good = await asCi(['-f', join(manifests, 'good')]);
  t.equal(good.code, 0, good.stdout);
  t.match(good.stdout, '3 ExternalSecrets in 2 files: 3 allowed, 0 denied; 1 other object skipped');
});

t.test('JSON output agrees with what kubectl apply gets from the webhooks, word for word', async (t) => {
  const result = await asCi(['-f', manifests, '-o', 'json']);
  t.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as CheckReport;
  const externalSecrets = report.results.filter((r) => r.kind === 'ExternalSecret');
  t.equal(externalSecrets.length, 6);
  const applied = new Map<string, { code: number; stdout: string; stderr: string }>();
  for (const file of Object.keys(FILES)) applied.set(join(manifests, file), await stack.kubectl(['apply', '--dry-run=server', '-f', join(manifests, file)]));
  for (const object of externalSecrets) {
    const kubectl = applied.get(object.file);
    const what = `${object.namespace}/${object.name}`;
    if (object.outcome === 'denied') {
      t.match(kubectl?.stderr, `admission webhook "validate.externalsecrets.vaultgate.dev" denied the request: ${object.message}`, `${what}: the same denial`);
    } else {
      t.equal(object.outcome, 'allowed', what);
      t.match(kubectl?.stdout, `externalsecret.external-secrets.io/${object.name} created (server dry run)`, `${what}: admitted too`);
    }
    for (const line of warningLines(object.warnings ?? [])) t.match(kubectl?.stderr, `Warning: ${line}`, `${what}: the same warning`);
    t.ok(object.paths && object.paths.length > 0, `${what}: its Vault paths`);
  }
  const pg = externalSecrets.find((r) => r.name === 'pg');
  const stored = JSON.parse((await stack.kubectl(['apply', '--dry-run=server', '-o', 'json', '-f', join(manifests, 'good/pg.yaml')])).stdout) as { spec: Record<string, unknown> };
  const mutated = fastJsonPatch.applyPatch(parseYaml(FILES['good/pg.yaml'] ?? '') as object, (pg?.mutation ?? []) as fastJsonPatch.Operation[]).newDocument as { spec: Record<string, unknown> };
  t.same({ target: mutated.spec.target, refreshInterval: mutated.spec.refreshInterval }, { target: stored.spec.target, refreshInterval: stored.spec.refreshInterval }, 'the mutation is the one admission applies');
  t.same(pg?.paths?.map((p) => [p.kvPath, p.apiPath, p.policy]), [['secret/postgres-secret', 'secret/data/postgres-secret', 'allowed'], ['secret/postgres-secret', 'secret/data/postgres-secret', 'allowed']]);
});

t.test('no token, a bad token, a caller without rights: 401, 401, 403, and nothing about Vault', async (t) => {
  const probe = externalSecret('probe', 'db', [{ key: 'payments/stripe', property: 'api_key' }, { key: 'locked/x' }]);
  const none = await post('/v1/dry-run', probe, {});
  const bad = await post('/v1/dry-run', probe, { authorization: 'Bearer not-a-real-token' });
  const outsider = await post('/v1/dry-run', probe, { authorization: `Bearer ${tokens.outsider}` });
  t.same([none.status, bad.status, outsider.status], [401, 401, 403]);
  for (const response of [none, bad, outsider]) t.notMatch(response.body, /secret\/|payments\/stripe|locked|capabilit|not found|paths/, `${response.status} reveals nothing`);
  t.match(JSON.parse(outsider.body), {
    results: [{ outcome: 'forbidden', code: 403, message: 'externalsecrets.external-secrets.io is forbidden: User "system:serviceaccount:dry-run-callers:outsider" cannot create resource "externalsecrets" in API group "external-secrets.io" in the namespace "db"' }],
  });
  const kubeSystem = await post('/v1/dry-run', externalSecret('x', 'kube-system', [{ key: 'postgres-secret' }]), { authorization: `Bearer ${tokens.ci}` });
  t.equal(kubeSystem.status, 403, 'rights in db and payments are not rights in kube-system');
  const viaCli = await cli(['-f', '-', '--server', server.url, '--ca', caFile, '--token', tokens.outsider], {}, probe);
  t.equal(viaCli.code, 2);
  t.match(viaCli.stdout, 'Error from vaultgate (Forbidden)');
  t.notMatch(viaCli.stdout, 'secret/');
});

t.test('a policy that removes a namespace\'s access lists exactly the ExternalSecrets it breaks', async (t) => {
  // In the cluster: two in payments (allowed now), one in db (no policy selects db), and
  // analytics/legacy, created before analytics joined the payments team (denied now).
  const existing = [
    externalSecret('stripe-1', 'payments', [{ key: 'payments/stripe', property: 'api_key' }]),
    externalSecret('stripe-2', 'payments', [{ key: 'payments/stripe' }]),
    externalSecret('pg', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }]),
    externalSecret('legacy', 'analytics', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }]),
  ];
  const applied = await stack.kubectl(['apply', '-f', '-'], existing.join('---\n'));
  t.equal(applied.code, 0, applied.stderr);
  t.equal((await stack.kubectl(['label', 'namespace', 'analytics', 'team=payments'])).code, 0);
  await waitFor('vaultgate sees the label', async () => (server.cluster.namespaces.get('analytics')?.metadata?.labels?.team === 'payments' ? true : undefined));

  const policies = join(stack.dir, 'policies');
  await mkdir(policies, { recursive: true });
  await writeFile(join(policies, 'narrow.yaml'), tenantPaths(['secret/shared/+/public']));
  await writeFile(join(policies, 'widen.yaml'), tenantPaths(['secret/{namespace}/*', 'secret/postgres-secret']));
  const asPlatform = (args: string[]) => cli(['--server', server.url, '--ca', caFile, ...args], { VAULTGATE_TOKEN: tokens.platform });

  const narrow = await asPlatform(['--policy', join(policies, 'narrow.yaml'), '-o', 'json']);
  t.equal(narrow.code, 1, narrow.stderr);
  const impact = JSON.parse(narrow.stdout) as PolicyImpactResult;
  t.same(impact.policies, [{ name: 'tenant-paths', change: 'changed' }]);
  t.same(impact.newlyDenied.map((d) => `${d.namespace}/${d.name}`), ['payments/stripe-1', 'payments/stripe-2']);
  t.same(impact.newlyAllowed, []);
  t.same(impact.newlyDenied[0]?.violations.map((v) => `${v.field}: ${v.message}`), ['spec.data[0].remoteRef.key: namespace "payments" may not read secret/payments/stripe (policy tenant-paths)']);
  t.match(impact.summary, { externalSecrets: 4, newlyDenied: 2, newlyAllowed: 0 });

  const text = await asPlatform(['--policy', join(policies, 'narrow.yaml')]);
  t.equal(text.code, 1);
  t.match(text.stdout, 'would newly deny 2 ExternalSecrets:\n  ExternalSecret payments/stripe-1:\n    spec.data[0].remoteRef.key: namespace "payments" may not read secret/payments/stripe (policy tenant-paths)\n  ExternalSecret payments/stripe-2:');

  const widen = await asPlatform(['--policy', join(policies, 'widen.yaml'), '-o', 'json']);
  t.equal(widen.code, 0, widen.stderr);
  const widened = JSON.parse(widen.stdout) as PolicyImpactResult;
  t.same(widened.newlyAllowed.map((a) => `${a.namespace}/${a.name}`), ['analytics/legacy']);
  t.same(widened.newlyDenied, []);

  const notPlatform = await cli(['--server', server.url, '--ca', caFile, '--policy', join(policies, 'narrow.yaml')], { VAULTGATE_TOKEN: tokens.ci });
  t.equal(notPlatform.code, 2);
  t.match(notPlatform.stderr, '403 vaultpathpolicies.vaultgate.dev is forbidden');
  t.equal((await stack.kubectl(['get', 'vaultpathpolicy', 'tenant-paths', '-o', 'jsonpath={.spec.allow}'])).stdout, '["secret/{namespace}/*"]', 'nothing was changed');
});

t.test('a malformed YAML document, too many documents and an oversized body get clear errors; the server stays up', async (t) => {
  const broken = [externalSecret('fine', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }]), 'metadata:\n  name: [unclosed\n', externalSecret('also-fine', 'db', [{ key: 'app/config', property: 'url' }])].join('---\n');
  const malformed = await asCi(['-f', '-'], broken);
  t.equal(malformed.code, 1);
  t.match(malformed.stdout, /^error: "-" document 2 \(line 10\): YAML \(line \d+\): .+$/m);
  t.match(malformed.stdout, '2 ExternalSecrets in 1 file: 2 allowed, 0 denied; 1 unreadable document');

  const auth = { authorization: `Bearer ${tokens.ci}` };
  const tooMany = await post('/v1/dry-run', Array.from({ length: 2001 }, () => 'apiVersion: v1\nkind: ConfigMap\n').join('---\n'), auth);
  t.equal(tooMany.status, 400);
  t.match(JSON.parse(tooMany.body), { message: 'the body holds more than 2000 objects (documents and List items); send at most 2000 per request' });

  const big = join(stack.dir, 'big.yaml');
  await writeFile(big, `# ${'x'.repeat(5 * 1024 * 1024)}\n${broken}`);
  const oversized = await asCi(['-f', big]);
  t.equal(oversized.code, 2);
  t.match(oversized.stdout, `error: "${big}": 413 the body is larger than 4194304 bytes (--dry-run-max-bytes); split the objects over several requests`);

  const health = await new Promise<number>((resolve, reject) => request(`${server.url}/healthz`, { ca: server.ca }, (res) => resolve(res.statusCode ?? 0)).on('error', reject).end());
  t.equal(health, 200);
  const again = await post('/v1/dry-run', FILES['good/pg.yaml'] ?? '', auth);
  t.equal(again.status, 200);
  t.equal((JSON.parse(again.body) as DryRunResult).summary.allowed, 1);
});

t.test('after `make dev`: the variables .dev/env exports make a bare `vaultgate check -f dir` work', async (t) => {
  const dir = join(stack.dir, 'dev');
  const { env, binDir } = await checkEnvironment(stack, server, dir);
  t.same(Object.keys(env).sort(), ['VAULTGATE_CA', 'VAULTGATE_SERVER', 'VAULTGATE_TOKEN']);
  t.equal(await readFile(env.VAULTGATE_CA ?? '', 'utf8'), server.ca);
  const bare = (target: string) =>
    new Promise<{ code: number; stdout: string }>((resolve) =>
      execFile('sh', ['-c', `vaultgate check -f '${target}'`], { env: { ...env, PATH: `${binDir}:${process.env.PATH ?? ''}`, HOME: stack.dir } }, (error, stdout) =>
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout }),
      ),
    );
  t.equal((await bare(join(manifests, 'good'))).code, 0);
  const all = await bare(manifests);
  t.equal(all.code, 1);
  t.match(all.stdout, '3 denied');
});

t.test('the OpenAPI document is served', async (t) => {
  const document = await new Promise<string>((resolve, reject) =>
    request(`${server.url}/v1/openapi.json`, { ca: server.ca }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve(text));
    })
      .on('error', reject)
      .end(),
  );
  const parsed = JSON.parse(document) as { paths: Record<string, unknown> };
  t.same(Object.keys(parsed.paths).sort(), ['/v1/dry-run', '/v1/dry-run/policy']);
});
