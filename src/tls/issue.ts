// Carries out a step of the certificate plan: builds the material the TLS Secret will hold
// next (new keys and certificates where the step needs them). No Kubernetes I/O here.
// Invariant: a step changes only what it names; the serving certificate never outlives
// the CA that signs it.
import { createCertificateAuthority, issueCertificate, type KeyPair } from './certificates.js';
import { joinPemCertificates } from './inspect.js';
import type { StoredMaterial } from './material.js';
import { analyseMaterial, type CertificateSettings, type Step } from './plan.js';

type ChangingStep = Exclude<Step, { kind: 'wait' }>;

/**
 * CAs are told apart by name too (as kube's self-signed CAs are), not only by key
 * identifier. The name stays within PrintableString (no '@'): Go's x509, and so the
 * apiserver, refuses the whole caBundle otherwise.
 */
function newAuthority(settings: CertificateSettings, now: number): KeyPair {
  return createCertificateAuthority(`vaultgate-webhook-ca-${Math.floor(now / 1000)}`, { validityMs: settings.caValidityMs, issuedAt: now });
}

function newServing(authority: KeyPair, settings: CertificateSettings, now: number): KeyPair {
  return issueCertificate(authority, {
    commonName: settings.dnsNames[0] ?? settings.ipAddresses[0] ?? 'vaultgate',
    dnsNames: settings.dnsNames,
    ipAddresses: settings.ipAddresses,
    usage: 'server',
    validityMs: settings.servingValidityMs,
    issuedAt: now,
  });
}

export function carryOut(step: ChangingStep, stored: StoredMaterial | undefined, remembered: StoredMaterial | undefined, settings: CertificateSettings, now = Date.now()): StoredMaterial {
  switch (step.kind) {
    case 'bootstrap': {
      const authority = newAuthority(settings, now);
      const serving = newServing(authority, settings, now);
      return { caBundle: joinPemCertificates([authority.cert]), caKey: authority.key, cert: serving.cert, key: serving.key };
    }
    case 'restore':
      if (!remembered) throw new Error('nothing to restore');
      return remembered;
    case 'issue-serving': {
      const signer = stored && analyseMaterial(stored).signer;
      if (!stored || !signer) throw new Error('no signing CA to issue a serving certificate with');
      const serving = newServing({ cert: signer.pem, key: stored.caKey }, settings, now);
      return { ...stored, cert: serving.cert, key: serving.key };
    }
    case 'introduce-ca': {
      if (!stored) throw new Error('no CA to rotate');
      const authority = newAuthority(settings, now);
      const kept = analyseMaterial(stored).authorities.filter((a) => a.facts.notAfter > now).map((a) => a.pem);
      return { ...stored, caBundle: joinPemCertificates([authority.cert, ...kept]), caKey: authority.key };
    }
    case 'retire-ca': {
      if (!stored) throw new Error('no CA to retire');
      const kept = analyseMaterial(stored).authorities.filter((a) => step.keep.includes(a.facts.fingerprint)).map((a) => a.pem);
      return { ...stored, caBundle: joinPemCertificates(kept) };
    }
  }
}
