// `make dev`: the local stack, the real ESO controller syncing, and vaultgate guarding
// admission, in the foreground until Ctrl-C or SIGTERM. Sets up the seeds' token-auth
// ClusterSecretStore "vault-backend" on the local OpenBao (token with read on secret/*),
// so manifests/examples/postgres-secret.yaml works as the README walks through. Writes
// .dev/env (KUBECONFIG, VAULT_ADDR, VAULT_TOKEN, PATH with kubectl and bao, and
// VAULTGATE_SERVER, VAULTGATE_CA, VAULTGATE_TOKEN and a `vaultgate` command for a bare
// `vaultgate check`) and prints one line containing "ready" once everything answers.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { checkEnvironment } from './callers.js';
import { startEso, type RunningEso } from './eso.js';
import { vaultClusterStore } from './fixtures.js';
import { repoRoot, startStack, type Stack } from './stack.js';
import { policy, token } from './vaultApi.js';
import { startVaultgate } from './vaultgate.js';

/** The seeds' shared store, reading everything under secret/ with a token of its own. */
async function seedDevStore(stack: Stack): Promise<void> {
  await policy(stack, 'eso-read', 'path "secret/data/*" { capabilities = ["read"] }\npath "secret/metadata/*" { capabilities = ["read", "list"] }\n');
  const storeToken = await token(stack, ['eso-read']);
  await stack.apply(`
apiVersion: v1
kind: Namespace
metadata: {name: external-secrets}
---
apiVersion: v1
kind: Secret
metadata: {name: vault-token, namespace: external-secrets}
stringData: {token: "${storeToken}"}
---
${vaultClusterStore(stack, 'vault-backend', '{tokenSecretRef: {name: vault-token, key: token, namespace: external-secrets}}')}
`);
}

async function main(): Promise<void> {
  console.log('vaultgate dev: building or locating server binaries, then starting etcd, kube-apiserver, kube-controller-manager, OpenBao and ESO ...');
  const stack = await startStack();
  let server: Awaited<ReturnType<typeof startVaultgate>> | undefined;
  let eso: RunningEso | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('vaultgate dev: stopping');
    await server?.close().catch(() => undefined);
    await eso?.stop().catch(() => undefined);
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    await seedDevStore(stack);
    eso = await startEso(stack);
    server = await startVaultgate(stack, { logLevel: process.env.VAULTGATE_LOG_LEVEL ?? 'info' });
    const devDir = join(repoRoot, '.dev');
    await mkdir(devDir, { recursive: true });
    const check = await checkEnvironment(stack, server, devDir);
    const env = [
      `export KUBECONFIG='${stack.kubeconfigPath}'`,
      `export VAULT_ADDR='${stack.vault.addr}'`,
      `export VAULT_TOKEN='${stack.vault.token}'`,
      `export BAO_ADDR='${stack.vault.addr}'`,
      `export BAO_TOKEN='${stack.vault.token}'`,
      `export PATH='${stack.binDir}':"$PATH"`,
      `export VAULTGATE_URL='${server.url}'`,
      ...Object.entries(check.env).map(([name, value]) => `export ${name}='${value}'`),
      `export PATH='${check.binDir}':"$PATH"`,
      '',
    ].join('\n');
    await writeFile(join(devDir, 'env'), env, { mode: 0o600 });
    console.log(`vaultgate dev: apiserver ${stack.apiserverUrl}, OpenBao ${stack.vault.addr}, vaultgate ${server.url}, ESO metrics ${eso.metricsUrl}`);
    console.log(`vaultgate dev: logs of every server in ${stack.dir}`);
    console.log('vaultgate dev: ready — run `source .dev/env`, then kubectl and bao work; Ctrl-C stops everything');
  } catch (error) {
    console.error(`vaultgate dev: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

void main();
