// `vaultgate check` without the real stack: which files it sends, where its token comes
// from, what it prints and which exit code it ends with, against the dry-run app (real
// decision core, fake cluster and Vault) listening on loopback, plus the real binary's
// usage errors and help.
import t from 'tap';
import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ok } from '../../src/core/facts.js';
import { runCheck, type CheckOptions } from '../../src/cli/check.js';
import { gatherInputs } from '../../src/cli/checkInput.js';
import { checkExitCode, checkReport, checkText, type CheckReport } from '../../src/cli/checkReport.js';
import { resolveToken } from '../../src/cli/dryRunClient.js';
import { repoRoot } from '../env/stack.js';
import { dryRunApp, externalSecretYaml as es, fakeCluster, tenantPolicy } from '../fakes/dryRun.js';

let dir: string;
let url: string;
const cluster = fakeCluster();
const app = dryRunApp({ cluster });

t.before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vaultgate-check-'));
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
});
t.teardown(async () => {
  await app.close();
  await rm(dir, { recursive: true, force: true });
});

const good = es('pg', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_USER' }]);
const typo = es('typo', 'db', [{ key: 'postgres-secret', property: 'POSTGRES_PASWORD' }]);

async function tree(files: Record<string, string>): Promise<string> {
  const root = await mkdtemp(join(dir, 'tree-'));
  for (const [name, content] of Object.entries(files)) {
    await mkdir(join(root, name, '..'), { recursive: true });
    await writeFile(join(root, name), content);
  }
  return root;
}

async function check(options: Partial<CheckOptions>, stdin = '') {
  let stdout = '';
  let stderr = '';
  const code = await runCheck(
    // Generous: the parse worker runs at low priority, and a loaded test machine starves it.
    { output: 'text', timeout: 60_000, server: url, token: 'alice-token', ...options },
    { stdout: (text) => (stdout += text), stderr: (text) => (stderr += text), readStdin: async () => Buffer.from(stdin) },
  );
  return { code, stdout, stderr };
}

t.test('a directory is read recursively for .yaml, .yml and .json, in a stable order; a named file whatever its name', async (t) => {
  const root = await tree({ 'b.yaml': good, 'a/z.yml': good, 'a/y.json': '{}', 'notes.txt': 'x', 'c.YAML': good, 'a/.hidden/d.yaml': good });
  const inputs = await gatherInputs([root, join(root, 'notes.txt')], async () => Buffer.alloc(0));
  t.same(
    inputs.map((i) => [i.name.slice(root.length + 1), i.format]),
    [['a/.hidden/d.yaml', 'yaml'], ['a/y.json', 'json'], ['a/z.yml', 'yaml'], ['b.yaml', 'yaml'], ['c.YAML', 'yaml'], ['notes.txt', 'yaml']],
  );
  const stdin = await gatherInputs(['-'], async () => Buffer.from('  {"kind": "List"}'));
  t.same(stdin.map((i) => [i.name, i.format]), [['-', 'json']], 'JSON on standard input is sniffed');
  await t.rejects(gatherInputs(['-', '-'], async () => Buffer.alloc(0)), { message: 'standard input (-) can be named once' });
  await t.rejects(gatherInputs([join(root, 'nope.yaml')], async () => Buffer.alloc(0)), { message: /no such file or directory/ });
  await t.rejects(gatherInputs([await tree({ 'x.txt': '' })], async () => Buffer.alloc(0)), { message: /no \.yaml, \.yml or \.json files/ });
});

t.test('the token: --token or VAULTGATE_TOKEN first, then the kubeconfig user, and a clear word when there is none', async (t) => {
  const kubeconfig = (user: string) => `apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\nusers: [{name: u, user: ${user}}]\ncontexts: [{name: x, context: {cluster: c, user: u}}]\ncurrent-context: x\n`;
  const withToken = join(dir, 'token.kubeconfig');
  const withCert = join(dir, 'cert.kubeconfig');
  await writeFile(withToken, kubeconfig('{token: from-kubeconfig}'));
  await writeFile(withCert, kubeconfig('{client-certificate-data: eA==, client-key-data: eA==}'));
  t.equal(await resolveToken('given', withToken), 'given');
  t.equal(await resolveToken(undefined, withToken), 'from-kubeconfig');
  await t.rejects(resolveToken(undefined, withCert), { message: /the current kubeconfig user "u" has no bearer token \(a client certificate cannot be checked by vaultgate\); pass --token or set VAULTGATE_TOKEN/ });
  await t.rejects(resolveToken(undefined, join(dir, 'missing')), { message: /no token: .*kubeconfig could not be read/ });
});

t.test('good and bad manifests: each violation on its own line, grouped by object, a summary, exit 1', async (t) => {
  const root = await tree({ 'good.yaml': good, 'bad/typo.yaml': `${good}---\n${typo}`, 'bad/broken.yaml': 'key: [unclosed\n' });
  const result = await check({ filename: [root] });
  t.equal(result.code, 1, result.stderr);
  const lines = result.stdout.trimEnd().split('\n');
  t.same(lines, [
    `error: "${root}/bad/broken.yaml" document 1 (line 1): YAML (line 2): Flow sequence in block collection must be sufficiently indented and end with a ]`,
    `Error from vaultgate (Denied): "${root}/bad/typo.yaml" document 2 (line 12): ExternalSecret db/typo:`,
    '  spec.data[0].remoteRef.property: "POSTGRES_PASWORD" not found at secret/postgres-secret (did you mean "POSTGRES_PASSWORD"?)',
    '3 ExternalSecrets in 3 files: 2 allowed, 1 denied; 1 unreadable document',
  ]);
  const allGood = await check({ filename: [join(root, 'good.yaml')] });
  t.equal(allGood.code, 0);
  t.equal(allGood.stdout, '1 ExternalSecret in 1 file: 1 allowed, 0 denied\n');
});

t.test('JSON output: the server\'s results with their file, and the same exit code', async (t) => {
  const root = await tree({ 'typo.yaml': typo });
  const result = await check({ filename: [root], output: 'json' });
  t.equal(result.code, 1);
  const report = JSON.parse(result.stdout) as CheckReport;
  t.same(report.results.map((r) => [r.file, r.outcome, r.name]), [[join(root, 'typo.yaml'), 'denied', 'typo']]);
  t.match(report.results[0]?.message, 'ExternalSecret db/typo:\n  spec.data[0].remoteRef.property');
  t.same(report.summary, { files: 1, objects: 1, externalSecrets: 1, allowed: 0, denied: 1, forbidden: 0, skipped: 0, errors: 0, failedFiles: 0 });
});

t.test('standard input, the namespace for objects without one, and warnings', async (t) => {
  const noNamespace = es('fast', undefined, [{ key: 'postgres-secret', property: 'POSTGRES_USER' }], '  refreshInterval: 10s\n');
  const result = await check({ filename: ['-'], namespace: 'payments' }, noNamespace);
  t.equal(result.code, 0, result.stdout);
  t.same(result.stdout.split('\n').slice(0, 2), ['"-" document 1 (line 1): ExternalSecret payments/fast:', '  Warning: spec.refreshInterval: "10s" reads Vault more than once a minute per ExternalSecret']);
});

t.test('what could not be checked exits 2: a bad token, a forbidden namespace, no server, usage', async (t) => {
  const root = await tree({ 'good.yaml': good });
  const badToken = await check({ filename: [root], token: 'nope' });
  t.equal(badToken.code, 2);
  t.match(badToken.stdout, `error: "${root}/good.yaml": 401 the token was not accepted`);
  const forbidden = await check({ filename: ['-'] }, es('x', 'kube-system', [{ key: 'postgres-secret' }]));
  t.equal(forbidden.code, 2);
  t.match(forbidden.stdout, 'Error from vaultgate (Forbidden): "-" document 1 (line 1): externalsecrets.external-secrets.io is forbidden: User "alice" cannot create resource "externalsecrets"');
  const down = await check({ filename: [root], server: 'http://127.0.0.1:1' });
  t.equal(down.code, 2);
  t.match(down.stdout, /cannot reach http:\/\/127\.0\.0\.1:1: .*ECONNREFUSED/);
  t.notMatch(`${badToken.stdout}${badToken.stderr}${down.stdout}`, 'nope', 'the token is never printed');
  const cases: [Partial<CheckOptions>, RegExp][] = [
    [{ filename: [] }, /nothing to check/],
    [{ filename: [root], policy: 'p.yaml' }, /either -f .* or --policy/],
    [{ filename: [root], server: undefined }, /no server: pass --server/],
    [{ filename: [root], server: 'ftp://x' }, /must be an https:\/\/ URL/],
    [{ filename: [root], ca: join(dir, 'missing.pem') }, /--ca .*missing\.pem/],
  ];
  for (const [options, message] of cases) {
    const result = await check(options);
    t.equal(result.code, 2, String(message));
    t.match(result.stderr, message);
  }
});

t.test('--policy: what the candidate would newly deny, exit 1; nothing, exit 0', async (t) => {
  cluster.policies = ok([tenantPolicy(['secret/{namespace}/*'])]);
  cluster.externalSecrets = [{ apiVersion: 'external-secrets.io/v1', kind: 'ExternalSecret', metadata: { name: 'stripe', namespace: 'payments' }, spec: { secretStoreRef: { kind: 'ClusterSecretStore', name: 'vault-backend' }, data: [{ secretKey: 'k', remoteRef: { key: 'payments/stripe' } }] } }];
  const root = await tree({ 'narrow.yaml': JSON.stringify(tenantPolicy(['secret/shared/*'])), 'same.json': JSON.stringify(tenantPolicy(['secret/{namespace}/*'])) });
  const narrow = await check({ policy: join(root, 'narrow.yaml'), token: 'platform-token' });
  t.equal(narrow.code, 1, narrow.stderr);
  t.same(narrow.stdout.trimEnd().split('\n'), [
    `Error from vaultgate (Denied): VaultPathPolicy tenant-paths (changed) from "${root}/narrow.yaml" would newly deny 1 ExternalSecret:`,
    '  ExternalSecret payments/stripe:',
    '    spec.data[0].remoteRef.key: namespace "payments" may not read secret/payments/stripe (policy tenant-paths)',
    '1 ExternalSecret in the cluster, 1 selected by a candidate or the policy it replaces: 1 newly denied, 0 newly allowed',
  ]);
  const same = await check({ policy: join(root, 'same.json'), token: 'platform-token', output: 'json' });
  t.equal(same.code, 0);
  t.same((JSON.parse(same.stdout) as { newlyDenied: unknown[] }).newlyDenied, []);
  const notAllowed = await check({ policy: join(root, 'same.json') });
  t.equal(notAllowed.code, 2);
  t.match(notAllowed.stderr, '403 vaultpathpolicies.vaultgate.dev is forbidden: User "alice"');
});

t.test('the report alone: 2 wins over 1, an unreadable document is a 1', async (t) => {
  const base = { source: { document: 1 }, kind: 'ExternalSecret', namespace: 'db', name: 'x' };
  const outcome = (outcomes: ('allowed' | 'denied' | 'forbidden' | 'error')[]) =>
    checkReport([{ file: 'f.yaml', result: { results: outcomes.map((o) => ({ ...base, outcome: o })), summary: { objects: 0, externalSecrets: 0, allowed: 0, denied: 0, forbidden: 0, skipped: 0, errors: 0 } } }]);
  t.equal(checkExitCode(outcome(['allowed'])), 0);
  t.equal(checkExitCode(outcome(['allowed', 'denied'])), 1);
  t.equal(checkExitCode(outcome(['error'])), 1);
  t.equal(checkExitCode(outcome(['denied', 'forbidden'])), 2);
  t.equal(checkExitCode(checkReport([{ file: 'f.yaml', failure: { status: 413, message: 'too large' } }])), 2);
  t.equal(checkText(checkReport([{ file: 'f.yaml', failure: { status: 413, message: 'too large' } }])), 'error: "f.yaml": 413 too large\n0 ExternalSecrets in 1 file: 0 allowed, 0 denied; 1 file not checked\n');
});

const cli = (args: string[]) =>
  new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(process.execPath, [join(repoRoot, 'dist/src/cli/main.js'), ...args], { env: { ...process.env, VAULTGATE_SERVER: '', VAULTGATE_TOKEN: '' } }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });

t.test('the binary: --help for every command, usage errors exit 2', async (t) => {
  const top = await cli(['--help']);
  t.equal(top.code, 0);
  t.match(top.stdout, /serve .*\n.*check/s);
  const help = await cli(['check', '--help']);
  t.equal(help.code, 0);
  t.match(help.stdout, '-f, --filename <path>');
  t.match(help.stdout, '(env: VAULTGATE_SERVER)');
  t.match(help.stdout, 'Exit codes: 0');
  t.match((await cli(['serve', '--help'])).stdout, '--dry-run-max-bytes <n>');
  const unknown = await cli(['check', '--bogus']);
  t.equal(unknown.code, 2);
  t.match(unknown.stderr, "unknown option '--bogus'");
  const badOutput = await cli(['check', '-f', '.', '-o', 'yaml']);
  t.equal(badOutput.code, 2);
  t.match(badOutput.stderr, /Allowed choices are text, json/);
  const noServer = await cli(['check', '-f', '.']);
  t.equal(noServer.code, 2);
  t.match(noServer.stderr, 'vaultgate check: no server');
});
