// `make dev`: the local stack with the real ESO controller and vaultgate side by side, in
// the foreground until Ctrl-C or SIGTERM. vaultgate runs as the real `vaultgate serve`
// process (its own ServiceAccount identity; its self-managed TLS, or the certificates of
// `make certs` mounted when certs/ holds them), guards every ExternalSecret at admission and
// reconciles those of ClusterSecretStore "vault-vaultgate" (spec.controller: vaultgate);
// ESO syncs those of the seeds' token-auth store "vault-backend" (no class). Both read the
// local OpenBao with a token that may read secret/*, so
// manifests/examples/postgres-secret.yaml works as the README walks through. Writes
// .dev/env (KUBECONFIG, VAULT_ADDR, VAULT_TOKEN, PATH with kubectl and bao, and
// VAULTGATE_SERVER, VAULTGATE_CA, VAULTGATE_TOKEN and a `vaultgate` command for a bare
// `vaultgate check`) and prints one line containing "ready" once everything answers.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkEnvironment } from './callers.js';
import { startEso, type RunningEso } from './eso.js';
import { STORE_TOKEN_AUTH, storeTokenSecret, vaultClusterStore } from './fixtures.js';
import { freePort } from './processes.js';
import { repoRoot, startStack, type Stack } from './stack.js';
import { policy, token } from './vaultApi.js';
import { registerWebhooks, registeredCaBundle, startVaultgateProcess, type VaultgateProcess } from './vaultgateProcess.js';

/** vaultgate on a free port, its webhooks registered by URL: with certs/ mounted if `make certs` made them. */
/** ESO takes stores naming no class; vaultgate's reconciler those of class "vaultgate". */
const RECONCILE = ['--reconcile', '--controller-class=vaultgate'];

async function startDevVaultgate(stack: Stack): Promise<{ vaultgate: VaultgateProcess; tls: string; ca: string }> {
  const port = await freePort();
  const url = `https://127.0.0.1:${port}`;
  const certs = (name: string) => join(repoRoot, 'certs', name);
  if (['ca.crt', 'tls.crt', 'tls.key'].every((name) => existsSync(certs(name)))) {
    const ca = await readFile(certs('ca.crt'), 'utf8');
    await registerWebhooks(stack, url, ca);
    const vaultgate = await startVaultgateProcess(stack, { port, name: 'vaultgate', mounted: { certFile: certs('tls.crt'), keyFile: certs('tls.key') }, trust: ca, args: RECONCILE });
    return { vaultgate, tls: 'mounted certs/ (make certs)', ca };
  }
  await registerWebhooks(stack, url);
  const vaultgate = await startVaultgateProcess(stack, { port, name: 'vaultgate', args: RECONCILE });
  // The CA vaultgate registered for itself is the one `vaultgate check` trusts too.
  return { vaultgate, tls: 'self-managed (Secret vaultgate-system/vaultgate-tls)', ca: await registeredCaBundle(stack) };
}

/** The seeds' shared store, reading everything under secret/ with a token of its own. */
async function seedDevStore(stack: Stack): Promise<void> {
  await policy(stack, 'eso-read', 'path "secret/data/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["read", "list"] }\n');
  const storeToken = await token(stack, ['eso-read']);
  await stack.apply(`
${storeTokenSecret(storeToken)}
---
${vaultClusterStore(stack, 'vault-backend', STORE_TOKEN_AUTH)}
---
${vaultClusterStore(stack, 'vault-vaultgate', STORE_TOKEN_AUTH, { controller: 'vaultgate' })}
`);
}

async function main(): Promise<void> {
  console.log('vaultgate dev: building or locating server binaries, then starting etcd, kube-apiserver, kube-controller-manager, OpenBao and ESO ...');
  const stack = await startStack();
  let vaultgate: VaultgateProcess | undefined;
  let eso: RunningEso | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('vaultgate dev: stopping');
    await vaultgate?.stop().catch(() => undefined);
    await eso?.stop().catch(() => undefined);
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    await seedDevStore(stack);
    eso = await startEso(stack);
    const started = await startDevVaultgate(stack);
    vaultgate = started.vaultgate;
    const devDir = join(repoRoot, '.dev');
    await mkdir(devDir, { recursive: true });
    const check = await checkEnvironment(stack, { url: vaultgate.url, ca: started.ca }, devDir);
    const env = [
      `export KUBECONFIG='${stack.kubeconfigPath}'`,
      `export VAULT_ADDR='${stack.vault.addr}'`,
      `export VAULT_TOKEN='${stack.vault.token}'`,
      `export BAO_ADDR='${stack.vault.addr}'`,
      `export BAO_TOKEN='${stack.vault.token}'`,
      `export PATH='${stack.binDir}':"$PATH"`,
      `export VAULTGATE_URL='${vaultgate.url}'`,
      ...Object.entries(check.env).map(([name, value]) => `export ${name}='${value}'`),
      `export PATH='${check.binDir}':"$PATH"`,
      '',
    ].join('\n');
    await writeFile(join(devDir, 'env'), env, { mode: 0o600 });
    console.log(`vaultgate dev: apiserver ${stack.apiserverUrl}, OpenBao ${stack.vault.addr}, vaultgate ${vaultgate.url} (pid ${vaultgate.process.pid}, TLS ${started.tls}), ESO metrics ${eso.metricsUrl}`);
    console.log(`vaultgate dev: logs of every server in ${stack.dir}`);
    console.log('vaultgate dev: ready — run `source .dev/env`, then kubectl and bao work; Ctrl-C stops everything');
  } catch (error) {
    console.error(`vaultgate dev: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

void main();
