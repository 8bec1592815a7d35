// The certificate plan and the builders it drives, on a simulated clock (certificates are
// dated from it too), so lifetimes of days and years are exercised without waiting: when
// each certificate is renewed, how a CA rotation is ordered, and that at every instant of
// a rotation the served certificate is trusted by every bundle the apiserver may be using.
import t from 'tap';
import { createCertificateAuthority, issueCertificate } from '../../src/tls/certificates.js';
import { certificateFacts, issuerIndex, joinPemCertificates, keyMatchesCertificate, splitPemCertificates, trustedBy } from '../../src/tls/inspect.js';
import { carryOut } from '../../src/tls/issue.js';
import { materialFromSecretData, secretDataFromMaterial, type StoredMaterial } from '../../src/tls/material.js';
import { analyseMaterial, planNextStep, renewAt, type CertificateSettings, type PlanInput, type ReplicaReport, type Step } from '../../src/tls/plan.js';

const DAY = 86_400_000;
const T0 = Date.UTC(2030, 0, 1);

const settings: CertificateSettings = {
  servingValidityMs: 7 * DAY,
  caValidityMs: 3650 * DAY,
  renewRemainingShare: 1 / 3,
  dnsNames: ['vaultgate', 'vaultgate.vaultgate-system', 'vaultgate.vaultgate-system.svc', 'vaultgate.vaultgate-system.svc.cluster.local'],
  ipAddresses: ['127.0.0.1'],
  caPropagationMs: 5000,
};

type Changing = Exclude<Step, { kind: 'wait' }>;

function plan(input: Partial<PlanInput> & { now: number }): Step {
  return planNextStep({ stored: undefined, remembered: undefined, settings, bundleRegisteredSince: undefined, replicas: [], ...input });
}

function apply(step: Step, stored: StoredMaterial | undefined, now: number, remembered?: StoredMaterial): StoredMaterial {
  if (step.kind === 'wait') throw new Error(`expected a change, got wait: ${step.reason}`);
  return carryOut(step as Changing, stored, remembered, settings, now);
}

const bootstrap = (now = T0) => apply({ kind: 'bootstrap', reason: 'test' }, undefined, now);
const serving = (material: StoredMaterial) => certificateFacts(material.cert)!;

t.test('nothing stored: bootstrap a CA and a serving certificate it signs, with the Service names', async (t) => {
  const step = plan({ now: T0 });
  t.equal(step.kind, 'bootstrap');
  const material = bootstrap();
  const analysis = analyseMaterial(material);
  t.equal(analysis.authorities.length, 1);
  t.equal(analysis.signer?.facts.fingerprint, analysis.authorities[0]?.facts.fingerprint, 'ca.key is the key of the CA in the bundle');
  t.equal(analysis.serving?.issuer, analysis.signer, 'the serving certificate is signed by that CA');
  t.ok(analysis.serving?.keyMatches);
  t.same(serving(material).dnsNames, settings.dnsNames);
  t.same(serving(material).ipAddresses, ['127.0.0.1']);
  t.ok(trustedBy(material.cert, material.caBundle, T0 + 1000));
});

t.test('lifetimes: serving for days, CA for years, both starting a little in the past', async (t) => {
  const material = bootstrap();
  const leaf = serving(material);
  const ca = analyseMaterial(material).signer!.facts;
  t.equal(leaf.notAfter - T0, 7 * DAY);
  t.equal(ca.notAfter - T0, 3650 * DAY);
  t.equal(T0 - leaf.notBefore, 5 * 60_000, 'five minutes of clock skew allowed');
  const short = createCertificateAuthority('short', { validityMs: 10_000, issuedAt: T0 });
  t.equal(T0 - certificateFacts(short.cert)!.notBefore, 1000, 'a certificate living seconds is back-dated a tenth of its life');
});

t.test('a serving certificate never outlives its CA', async (t) => {
  const ca = createCertificateAuthority('ca', { validityMs: 2 * DAY, issuedAt: T0 });
  const leaf = issueCertificate(ca, { commonName: 'x', dnsNames: ['x'], usage: 'server', validityMs: 30 * DAY, issuedAt: T0 });
  t.equal(certificateFacts(leaf.cert)!.notAfter, certificateFacts(ca.cert)!.notAfter);
});

t.test('current certificates: wait until the serving certificate has a third of its life left', async (t) => {
  const material = bootstrap();
  const step = plan({ stored: material, now: T0 + DAY });
  t.equal(step.kind, 'wait');
  const due = renewAt(serving(material), 1 / 3);
  t.equal(step.kind === 'wait' && step.until, due);
  t.ok(due > T0 + 4 * DAY && due < T0 + 5 * DAY, 'a 7-day certificate is renewed after about 4.7 days');
  t.equal(plan({ stored: material, now: due }).kind, 'issue-serving');
  const renewed = apply(plan({ stored: material, now: due }), material, due);
  t.equal(renewed.caBundle, material.caBundle, 'same CA');
  t.not(renewed.cert, material.cert);
  t.equal(serving(renewed).notAfter, Math.floor((due + 7 * DAY) / 1000) * 1000);
});

t.test('an expired, mismatched or under-named serving certificate is reissued', async (t) => {
  const material = bootstrap();
  t.equal(plan({ stored: material, now: serving(material).notAfter + 1 }).kind, 'issue-serving', 'expired');
  const other = bootstrap();
  t.equal(plan({ stored: { ...material, key: other.key }, now: T0 }).kind, 'issue-serving', 'key of another certificate');
  t.equal(plan({ stored: { ...material, cert: other.cert, key: other.key }, now: T0 }).kind, 'issue-serving', 'signed by a CA not in the bundle');
  const step = planNextStep({ stored: material, remembered: undefined, now: T0, settings: { ...settings, ipAddresses: ['127.0.0.1', '10.0.0.1'] }, bundleRegisteredSince: undefined, replicas: [] });
  t.same(step, { kind: 'issue-serving', reason: 'serving certificate lacks 10.0.0.1' });
});

t.test('the Secret deleted or overwritten: the last good material goes back; none known: a new CA', async (t) => {
  const material = bootstrap();
  t.equal(plan({ stored: undefined, remembered: material, now: T0 }).kind, 'restore');
  const garbage = { caBundle: 'not a certificate', caKey: '', cert: '', key: '' };
  t.equal(plan({ stored: garbage, remembered: material, now: T0 }).kind, 'restore');
  t.equal(plan({ stored: garbage, remembered: undefined, now: T0 }).kind, 'bootstrap');
  t.equal(plan({ stored: undefined, remembered: material, now: serving(material).notAfter + 1 }).kind, 'bootstrap', 'expired memory is no use');
  t.same(apply({ kind: 'restore', reason: 'test' }, undefined, T0, material), material);
});

t.test('Secret data round trip', async (t) => {
  const material = bootstrap();
  const data = secretDataFromMaterial(material);
  t.same(Object.keys(data).sort(), ['ca.crt', 'ca.key', 'tls.crt', 'tls.key']);
  t.same(materialFromSecretData(data), material);
  t.equal(materialFromSecretData({}), undefined);
});

/**
 * Follows the plan through a CA rotation on a simulated clock with two replicas that pick
 * up the Secret a little late, and an apiserver that keeps using the previous caBundle for
 * up to `apiserverLagMs` after it is registered. At every instant, each replica's served
 * certificate must be trusted by every bundle the apiserver may be using.
 */
t.test('a CA rotation keeps every served certificate trusted by every bundle the apiserver may use', async (t) => {
  const caLife = 30 * DAY;
  const local = { ...settings, caValidityMs: caLife };
  let now = T0;
  let stored = carryOut({ kind: 'bootstrap', reason: 'test' }, undefined, undefined, local, now);
  const firstCa = analyseMaterial(stored).signer!.facts.fingerprint;
  const replicaLagMs = 1500;
  const apiserverLagMs = 3000;
  const replicas = [
    { identity: 'a', served: stored.cert, pending: undefined as { cert: string; at: number } | undefined },
    { identity: 'b', served: stored.cert, pending: undefined as { cert: string; at: number } | undefined },
  ];
  // Bundles registered in the webhook configurations, with the instant each was registered.
  let registrations: { bundle: string; at: number }[] = [{ bundle: stored.caBundle, at: now }];
  const steps: string[] = [];
  const seen = new Set<string>();

  const apiserverMayUse = () => {
    // the newest registration older than the lag, and every one since
    const settled = registrations.filter((r) => r.at <= now - apiserverLagMs);
    const recent = registrations.filter((r) => r.at > now - apiserverLagMs);
    return [...settled.slice(-1), ...recent].map((r) => r.bundle);
  };
  const checkTrust = (when: string) => {
    for (const replica of replicas) {
      for (const bundle of apiserverMayUse()) {
        if (!trustedBy(replica.served, bundle, now)) t.fail(`${when}: replica ${replica.identity} serves a certificate a possible apiserver bundle does not trust`);
      }
    }
  };
  const advance = (to: number) => {
    // replicas pick up what is pending, in time order
    for (const replica of replicas) if (replica.pending && replica.pending.at <= to) {
      now = Math.max(now, replica.pending.at);
      checkTrust('before a replica switches');
      replica.served = replica.pending.cert;
      replica.pending = undefined;
      checkTrust('after a replica switches');
    }
    now = Math.max(now, to);
    checkTrust('while waiting');
  };

  for (let round = 0; round < 200; round++) {
    const registered = registrations[registrations.length - 1]!;
    const reports: ReplicaReport[] = replicas.map((r) => ({ identity: r.identity, serving: certificateFacts(r.served)!.fingerprint, expiresAt: now + 30_000 }));
    const step = planNextStep({ stored, remembered: stored, now, settings: local, bundleRegisteredSince: registered.bundle === stored.caBundle ? registered.at : undefined, replicas: reports });
    steps.push(step.kind);
    if (step.kind === 'wait') {
      if (registered.bundle !== stored.caBundle) {
        // the leader registers the Secret's bundle in the webhook configurations
        advance(now + 200);
        registrations = [...registrations, { bundle: stored.caBundle, at: now }];
        continue;
      }
      const next = replicas.map((r) => r.pending?.at).filter((x): x is number => x !== undefined);
      advance(Math.min(step.until ?? Infinity, ...next));
      if (seen.has('retire-ca') && analyseMaterial(stored).signer!.facts.fingerprint !== firstCa) break;
      continue;
    }
    seen.add(step.kind);
    stored = carryOut(step, stored, stored, local, now);
    // replicas see the new Secret a little later, one after the other
    replicas.forEach((r, i) => {
      if (stored.cert !== r.served) r.pending = { cert: stored.cert, at: now + replicaLagMs * (i + 1) };
    });
  }
  t.ok(seen.has('introduce-ca') && seen.has('retire-ca'), `a rotation happened: ${steps.join(' ')}`);
  const order = steps.filter((s) => s === 'introduce-ca' || s === 'issue-serving' || s === 'retire-ca');
  const introduced = order.indexOf('introduce-ca');
  t.same(order.slice(introduced, introduced + 3), ['introduce-ca', 'issue-serving', 'retire-ca'], 'new CA first, then certificates it signs, then the old CA leaves');
  const final = analyseMaterial(stored);
  t.equal(final.authorities.length, 1, 'one CA left in the bundle');
  t.not(final.signer!.facts.fingerprint, firstCa, 'and it is the new one');
  for (const replica of replicas) t.equal(issuerIndex(replica.served, splitPemCertificates(stored.caBundle)), 0, `replica ${replica.identity} serves a certificate of the new CA`);
});

t.test('the old CA stays while a live replica still serves its certificate, and leaves once that replica is gone', async (t) => {
  let stored = bootstrap();
  const oldServing = serving(stored).fingerprint;
  const caDue = renewAt(analyseMaterial(stored).signer!.facts, 1 / 3);
  // serving renewed just before, so the CA step comes next
  stored = apply({ kind: 'issue-serving', reason: 'test' }, stored, caDue - 1000);
  t.equal(plan({ stored, now: caDue }).kind, 'introduce-ca');
  stored = apply(plan({ stored, now: caDue }), stored, caDue);
  t.equal(splitPemCertificates(stored.caBundle).length, 2, 'old and new CA in the bundle');
  t.equal(plan({ stored, now: caDue + 1000 }).kind, 'wait', 'not registered yet');
  const registeredAt = caDue + 1000;
  const early = plan({ stored, now: registeredAt + 1000, bundleRegisteredSince: registeredAt });
  t.same(early, { kind: 'wait', until: registeredAt + 5000, reason: 'giving the apiserver time to load the bundle with the new CA' });
  const switchAt = registeredAt + 5000;
  t.equal(plan({ stored, now: switchAt, bundleRegisteredSince: registeredAt }).kind, 'issue-serving');
  stored = apply(plan({ stored, now: switchAt, bundleRegisteredSince: registeredAt }), stored, switchAt);
  const newServing = serving(stored).fingerprint;
  t.not(newServing, oldServing);
  const lagging: ReplicaReport = { identity: 'b', serving: oldServing, expiresAt: switchAt + 20_000 };
  const current: ReplicaReport = { identity: 'a', serving: newServing, expiresAt: switchAt + 30_000 };
  const waiting = plan({ stored, now: switchAt + 1, bundleRegisteredSince: registeredAt, replicas: [current, lagging] });
  t.same(waiting, { kind: 'wait', until: switchAt + 20_000, reason: '1 replica(s) still serve a certificate of the old CA' });
  t.equal(plan({ stored, now: switchAt + 1, bundleRegisteredSince: registeredAt, replicas: undefined }).kind, 'wait', 'replicas not known yet');
  const retire = plan({ stored, now: switchAt + 20_000, bundleRegisteredSince: registeredAt, replicas: [current, lagging] });
  t.equal(retire.kind, 'retire-ca', 'a replica whose Lease expired no longer holds the old CA');
  stored = apply(retire, stored, switchAt + 20_000);
  t.equal(splitPemCertificates(stored.caBundle).length, 1);
  t.ok(trustedBy(stored.cert, stored.caBundle, switchAt + 20_000));
});

t.test('an expired CA leaves the bundle', async (t) => {
  const old = createCertificateAuthority('old', { validityMs: DAY, issuedAt: T0 });
  let stored = bootstrap(T0 + 2 * DAY);
  stored = { ...stored, caBundle: joinPemCertificates([...splitPemCertificates(stored.caBundle), old.cert]) };
  const step = plan({ stored, now: T0 + 2 * DAY });
  t.equal(step.kind, 'retire-ca');
  t.equal(splitPemCertificates(apply(step, stored, T0 + 2 * DAY).caBundle).length, 1);
});

t.test('inspection helpers', async (t) => {
  const material = bootstrap();
  t.ok(keyMatchesCertificate(material.cert, material.key));
  t.notOk(keyMatchesCertificate(material.cert, material.caKey));
  t.notOk(keyMatchesCertificate('garbage', material.key));
  t.equal(certificateFacts('garbage'), undefined);
  t.notOk(trustedBy(material.cert, 'garbage', T0));
  t.notOk(trustedBy(material.cert, material.caBundle, serving(material).notAfter + 1000), 'expired is not trusted');
  t.equal(splitPemCertificates(joinPemCertificates([material.cert, material.caBundle])).length, 2);
});
