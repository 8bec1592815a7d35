// vaultgate's verdicts held against the real External Secrets Operator: each ExternalSecret
// of the corpus is decided by vaultgate's decision service and applied (with vaultgate's
// webhooks not registered) for the real ESO controller to sync, on the same OpenBao data.
// Expected: every object vaultgate admits, ESO syncs; every object vaultgate denies, ESO
// fails on, except where vaultgate is stricter on purpose (path policy, unsafe keys), which
// the corpus names. The agreement table is printed.
import t from 'tap';
import { withDefaults } from '../../src/core/mutate.js';
import type { RunningServer } from '../../src/server.js';
import { CORPUS, esoOutcomes, externalSecretOf, seedDifferential, type DiffCase } from '../env/differential.js';
import { startEso, type RunningEso } from '../env/eso.js';
import { waitFor } from '../env/processes.js';
import { startStack, type Stack } from '../env/stack.js';
import { startTlsVault, type TlsVault } from '../env/tlsVault.js';
import { startVaultgate } from '../env/vaultgate.js';

let stack: Stack;
let eso: RunningEso;
let server: RunningServer;
let tls: TlsVault;

t.before(async () => {
  stack = await startStack();
  tls = await startTlsVault(stack);
  await seedDifferential(stack, tls);
  eso = await startEso(stack);
  // Only now, so the ESO child process does not inherit them: vaultgate must ignore them for
  // every tenant store (tls-untrusted below must still fail, the token must not be root's).
  Object.assign(process.env, { VAULT_SKIP_VERIFY: 'true', VAULT_TOKEN: stack.vault.token, VAULT_NAMESPACE: 'leaked' });
  server = await startVaultgate(stack, {}, { registerWebhooks: false });
  await waitFor('vaultgate sees every store', async () => (server.cluster.clusterSecretStores.list().length >= 16 && server.cluster.secretStores.list().length >= 3 && server.cluster.policies.list().length >= 1 ? true : undefined));
});

t.teardown(async () => {
  for (const name of ['VAULT_SKIP_VERIFY', 'VAULT_TOKEN', 'VAULT_NAMESPACE']) delete process.env[name];
  await server?.close();
  await eso?.stop();
  await tls?.stop();
  await stack?.stop();
});

interface Row {
  c: DiffCase;
  allowed: boolean;
  lines: string[];
  eso: { synced: boolean; reason: string; events: string[] };
  verdict: 'agree' | 'stricter on purpose' | 'DISAGREE';
}

t.test(`differential: ${CORPUS.length} ExternalSecrets, vaultgate against the real ESO`, async (t) => {
  t.ok(CORPUS.length >= 40, 'a corpus of at least 40 cases');
  const verdicts = new Map<string, { allowed: boolean; lines: string[] }>();
  for (const c of CORPUS) {
    // What the webhook would judge: the object after vaultgate's own defaulting, as ESO's CRD defaults it too.
    const verdict = await server.service.evaluate(withDefaults(externalSecretOf(c)), c.namespace);
    verdicts.set(c.name, { allowed: verdict.allowed, lines: verdict.violations.map((v) => `${v.field}: ${v.message}`) });
  }
  const manifest = CORPUS.map((c) => JSON.stringify(externalSecretOf(c))).join('\n---\n');
  const applied = await stack.kubectl(['apply', '-f', '-'], manifest);
  t.equal(applied.code, 0, applied.stderr);
  const outcomes = await esoOutcomes(stack, CORPUS);

  const rows: Row[] = CORPUS.map((c) => {
    const mine = verdicts.get(c.name) ?? { allowed: false, lines: ['(not decided)'] };
    const theirs = outcomes.get(c.name) ?? { synced: false, reason: 'missing', events: [] };
    let verdict: Row['verdict'] = mine.allowed === theirs.synced ? 'agree' : 'DISAGREE';
    if (c.stricter && !mine.allowed && theirs.synced) verdict = 'stricter on purpose';
    return { c, allowed: mine.allowed, lines: mine.lines, eso: theirs, verdict };
  });

  const width = Math.max(...CORPUS.map((c) => c.name.length));
  const table = rows.map((r) =>
    [
      r.c.name.padEnd(width),
      (r.allowed ? 'admit' : 'deny').padEnd(5),
      (r.eso.synced ? 'synced' : 'failed').padEnd(6),
      r.verdict.padEnd(19),
      r.c.stricter ? `(${r.c.stricter}) ` : '',
      r.c.about,
    ].join(' | '),
  );
  const agreed = rows.filter((r) => r.verdict === 'agree').length;
  const stricter = rows.filter((r) => r.verdict === 'stricter on purpose').length;
  t.comment([`case${' '.repeat(width - 4)} | vaultgate | ESO | outcome`, ...table].join('\n'));
  t.comment(`agreement: ${agreed}/${rows.length} agree, ${stricter} stricter on purpose, ${rows.length - agreed - stricter} disagree`);

  for (const r of rows) {
    const detail = `vaultgate: ${r.allowed ? 'admit' : r.lines.join(' / ')}\nESO: ${r.eso.reason} ${r.eso.events.join(' / ')}`;
    if (r.c.stricter) {
      t.equal(r.verdict, 'stricter on purpose', `${r.c.name}: vaultgate denies on purpose (${r.c.stricter}) what ESO syncs\n${detail}`);
    } else {
      t.equal(r.verdict, 'agree', `${r.c.name}: ${r.c.about}\n${detail}`);
    }
  }
  // Where both fail, ESO's own event text names the same problem vaultgate names.
  const failedBoth = rows.filter((r) => !r.allowed && !r.eso.synced);
  t.ok(failedBoth.length >= 15, `${failedBoth.length} cases fail in both`);
  const misspelled = rows.find((r) => r.c.name === 'flat-misspelled');
  t.match(misspelled?.eso.events.join('\n'), 'cannot find secret data for key: "usr"');
  t.match(misspelled?.lines.join('\n'), '"usr" not found at secret/diff/flat (did you mean "user"?)');
});
