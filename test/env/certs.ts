// `make certs`: a local CA and a serving certificate for development, in certs/ (gitignored
// but for its README). `make dev` then runs vaultgate with them mounted (--tls-cert-file,
// --tls-key-file) and registers ca.crt as the webhooks' caBundle, instead of letting
// vaultgate manage its own. A CA that is still valid is kept, so `make certs RENEW=1`
// reissues only the serving certificate: a running `make dev` reloads it without a restart.
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateCertificateAuthority, issueCertificate, type KeyPair } from '../../src/tls/certificates.js';
import { certificateFacts, keyMatchesCertificate } from '../../src/tls/inspect.js';
import { serviceDnsNames } from '../../src/tls/provision.js';
import { repoRoot } from './stack.js';

const DAY_MS = 86_400_000;
/** Reissue what expires within this. */
const MARGIN_MS = 30 * DAY_MS;
const dir = join(repoRoot, 'certs');
const file = (name: string) => join(dir, name);

async function readPair(cert: string, key: string): Promise<KeyPair | undefined> {
  if (!existsSync(file(cert)) || !existsSync(file(key))) return undefined;
  const pair = { cert: await readFile(file(cert), 'utf8'), key: await readFile(file(key), 'utf8') };
  const facts = certificateFacts(pair.cert);
  const current = facts !== undefined && facts.notAfter - Date.now() > MARGIN_MS && keyMatchesCertificate(pair.cert, pair.key);
  return current ? pair : undefined;
}

async function main(): Promise<void> {
  const renew = process.argv.includes('--renew');
  await mkdir(dir, { recursive: true });
  let ca = await readPair('ca.crt', 'ca.key');
  const newCa = ca === undefined;
  if (!ca) {
    ca = generateCertificateAuthority('vaultgate-dev-ca', 3650);
    await writeFile(file('ca.crt'), ca.cert);
    await writeFile(file('ca.key'), ca.key, { mode: 0o600 });
  }
  if (!newCa && !renew && (await readPair('tls.crt', 'tls.key'))) {
    console.log('certs: current (CA and serving certificate valid for more than 30 days); RENEW=1 reissues the serving certificate');
    return;
  }
  const serving = issueCertificate(ca, {
    commonName: 'localhost',
    // Outside a cluster (make dev) and inside one (the Service's names), so the same files serve both.
    dnsNames: ['localhost', ...serviceDnsNames('vaultgate', 'vaultgate-system')],
    ipAddresses: ['127.0.0.1', '::1'],
    usage: 'server',
    validityDays: 365,
  });
  // Key first: a watcher that reads between the two writes sees a mismatched pair and waits.
  await writeFile(file('tls.key'), serving.key, { mode: 0o600 });
  await writeFile(file('tls.crt'), serving.cert);
  console.log(`certs: ${newCa ? 'new CA and ' : ''}serving certificate written to ${dir} (valid 365 days)`);
}

await main();
