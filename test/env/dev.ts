// `make dev`: the local stack plus vaultgate, in the foreground until Ctrl-C or SIGTERM.
// Writes .dev/env (KUBECONFIG, VAULT_ADDR, VAULT_TOKEN, PATH with kubectl and bao) and
// prints one line containing "ready" once everything answers.
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { repoRoot, startStack } from './stack.js';
import { startVaultgate } from './vaultgate.js';

async function main(): Promise<void> {
  console.log('vaultgate dev: building or locating server binaries, then starting etcd, kube-apiserver, kube-controller-manager and OpenBao ...');
  const stack = await startStack();
  let server: Awaited<ReturnType<typeof startVaultgate>> | undefined;
  let stopping = false;
  const stop = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('vaultgate dev: stopping');
    await server?.close().catch(() => undefined);
    await stack.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop(0));
  process.on('SIGTERM', () => void stop(0));
  try {
    server = await startVaultgate(stack, { logLevel: process.env.VAULTGATE_LOG_LEVEL ?? 'info' });
    const devDir = join(repoRoot, '.dev');
    await mkdir(devDir, { recursive: true });
    const env = [
      `export KUBECONFIG='${stack.kubeconfigPath}'`,
      `export VAULT_ADDR='${stack.vault.addr}'`,
      `export VAULT_TOKEN='${stack.vault.token}'`,
      `export BAO_ADDR='${stack.vault.addr}'`,
      `export BAO_TOKEN='${stack.vault.token}'`,
      `export PATH='${stack.binDir}':"$PATH"`,
      `export VAULTGATE_URL='${server.url}'`,
      '',
    ].join('\n');
    await writeFile(join(devDir, 'env'), env, { mode: 0o600 });
    console.log(`vaultgate dev: apiserver ${stack.apiserverUrl}, OpenBao ${stack.vault.addr}, vaultgate ${server.url}`);
    console.log('vaultgate dev: ready — run `source .dev/env`, then kubectl and bao work; Ctrl-C stops everything');
  } catch (error) {
    console.error(`vaultgate dev: ${error instanceof Error ? error.message : String(error)}`);
    await stop(1);
  }
}

void main();
