// The certificate plan: given what the TLS Secret holds, what the webhook configurations
// carry and what every replica serves, the one next step the leader takes. Pure (time is
// an input), so every rule below is unit-tested without a cluster.
//
// Invariant: at every instant each replica serves a certificate that the registered
// caBundle trusts. Hence a CA rotation takes three steps, each only once the previous one
// has taken effect:
//   1. introduce-ca: the new CA goes first in the bundle, the old one stays after it
//      (serving certificates are still signed by the old CA);
//   2. issue-serving: once the apiserver has had time to load that bundle, serving
//      certificates are signed by the new CA (trusted through the new half of the bundle);
//   3. retire-ca: once every live replica serves the new certificate, the old CA leaves.
// A serving certificate is renewed (same CA, so no ordering is needed) when the given
// share of its life is left, and never outlives its CA.
import { certificateFacts, issuerIndex, keyMatchesCertificate, splitPemCertificates, type CertificateFacts } from './inspect.js';
import type { StoredMaterial } from './material.js';

export interface CertificateSettings {
  servingValidityMs: number;
  caValidityMs: number;
  /** renew a certificate once this share of its life is left (0 < share < 1) */
  renewRemainingShare: number;
  /** names the serving certificate must carry */
  dnsNames: string[];
  ipAddresses: string[];
  /** time given to the apiserver to load a new caBundle before certificates the new CA signed are served */
  caPropagationMs: number;
}

/** One live replica's report: the fingerprint of the certificate it serves, and until when its report holds. */
export interface ReplicaReport {
  identity: string;
  serving: string | undefined;
  expiresAt: number;
}

export interface PlanInput {
  stored: StoredMaterial | undefined;
  /** the last usable material seen (put back if the Secret is deleted or overwritten) */
  remembered: StoredMaterial | undefined;
  now: number;
  settings: CertificateSettings;
  /** since when (leader's clock) every webhook of both configurations carries stored.caBundle; undefined if not */
  bundleRegisteredSince: number | undefined;
  /** the replicas' reports; undefined until they are watched */
  replicas: readonly ReplicaReport[] | undefined;
}

export type Step =
  | { kind: 'bootstrap'; reason: string }
  | { kind: 'restore'; reason: string }
  | { kind: 'issue-serving'; reason: string }
  | { kind: 'introduce-ca'; reason: string }
  | { kind: 'retire-ca'; keep: string[]; reason: string }
  | { kind: 'wait'; until: number | undefined; reason: string };

export interface Authority {
  pem: string;
  facts: CertificateFacts;
}

export interface MaterialAnalysis {
  authorities: Authority[];
  /** the authority whose key is ca.key */
  signer: Authority | undefined;
  serving: { facts: CertificateFacts; keyMatches: boolean; issuer: Authority | undefined } | undefined;
}

export function analyseMaterial(material: StoredMaterial): MaterialAnalysis {
  const authorities: Authority[] = [];
  for (const pem of splitPemCertificates(material.caBundle)) {
    const facts = certificateFacts(pem);
    if (facts?.isAuthority) authorities.push({ pem, facts });
  }
  const signer = material.caKey ? authorities.find((authority) => keyMatchesCertificate(authority.pem, material.caKey)) : undefined;
  const servingFacts = material.cert ? certificateFacts(material.cert) : undefined;
  const serving = servingFacts && {
    facts: servingFacts,
    keyMatches: keyMatchesCertificate(material.cert, material.key),
    issuer: authorities[issuerIndex(material.cert, authorities.map((authority) => authority.pem))],
  };
  return { authorities, signer, serving };
}

/** When a certificate is due: `share` of its life (notBefore to notAfter) left. */
export function renewAt(facts: CertificateFacts, share: number): number {
  return facts.notAfter - share * (facts.notAfter - facts.notBefore);
}

/** A serving pair a server may present: the key is the certificate's and it has not expired. */
export function servable(material: { cert: string; key: string }, now: number): boolean {
  const facts = certificateFacts(material.cert);
  return facts !== undefined && facts.notAfter > now && keyMatchesCertificate(material.cert, material.key);
}

function signerUsable(analysis: MaterialAnalysis, now: number): boolean {
  return analysis.signer !== undefined && analysis.signer.facts.notAfter > now;
}

function servingUsable(analysis: MaterialAnalysis, now: number): boolean {
  const { serving } = analysis;
  return serving !== undefined && serving.keyMatches && serving.issuer !== undefined && serving.facts.notAfter > now && serving.issuer.facts.notAfter > now;
}

function missingNames(facts: CertificateFacts, settings: CertificateSettings): string[] {
  return [
    ...settings.dnsNames.filter((name) => !facts.dnsNames.includes(name)),
    ...settings.ipAddresses.filter((ip) => !facts.ipAddresses.includes(ip)),
  ];
}

const earliest = (...times: (number | undefined)[]): number | undefined => {
  const defined = times.filter((time): time is number => time !== undefined);
  return defined.length > 0 ? Math.min(...defined) : undefined;
};

/** Steps 2 and 3 of a CA rotation (the bundle holds more than the signing CA). */
function planRotation(input: PlanInput, analysis: MaterialAnalysis & { signer: Authority }, serving: NonNullable<MaterialAnalysis['serving']>): Step {
  const { now, settings } = input;
  const servingDue = renewAt(serving.facts, settings.renewRemainingShare);
  if (serving.issuer !== analysis.signer) {
    if (input.bundleRegisteredSince === undefined) return { kind: 'wait', until: undefined, reason: 'the bundle with the new CA is not registered in the webhook configurations yet' };
    const propagated = input.bundleRegisteredSince + settings.caPropagationMs;
    if (now < propagated) return { kind: 'wait', until: propagated, reason: 'giving the apiserver time to load the bundle with the new CA' };
    return { kind: 'issue-serving', reason: 'serve a certificate signed by the new CA' };
  }
  if (now >= servingDue) return { kind: 'issue-serving', reason: 'serving certificate due for renewal' };
  if (input.replicas === undefined) return { kind: 'wait', until: servingDue, reason: 'replicas not watched yet' };
  const lagging = input.replicas.filter((replica) => replica.expiresAt > now && replica.serving !== serving.facts.fingerprint);
  if (lagging.length > 0) {
    return {
      kind: 'wait',
      until: earliest(servingDue, ...lagging.map((replica) => replica.expiresAt)),
      reason: `${lagging.length} replica(s) still serve a certificate of the old CA`,
    };
  }
  return { kind: 'retire-ca', keep: [analysis.signer.facts.fingerprint], reason: 'every replica serves a certificate of the new CA' };
}

export function planNextStep(input: PlanInput): Step {
  const { now, settings } = input;
  const analysis = input.stored ? analyseMaterial(input.stored) : undefined;
  if (!analysis || !signerUsable(analysis, now)) {
    const remembered = input.remembered ? analyseMaterial(input.remembered) : undefined;
    if (remembered && signerUsable(remembered, now) && servingUsable(remembered, now)) {
      return { kind: 'restore', reason: input.stored ? 'the Secret holds no usable CA; putting back the last good material' : 'the Secret is gone; putting back the last good material' };
    }
    return { kind: 'bootstrap', reason: input.stored ? 'the Secret holds no usable CA' : 'no TLS Secret yet' };
  }
  const signed = analysis as MaterialAnalysis & { signer: Authority };
  const expired = analysis.authorities.filter((authority) => authority !== analysis.signer && authority.facts.notAfter <= now);
  if (!servingUsable(analysis, now) || !analysis.serving) return { kind: 'issue-serving', reason: 'no usable serving certificate' };
  const serving = analysis.serving;
  // (A usable serving certificate's issuer has not expired, so it is never among these.)
  if (expired.length > 0) {
    return { kind: 'retire-ca', keep: analysis.authorities.filter((a) => !expired.includes(a)).map((a) => a.facts.fingerprint), reason: 'a CA in the bundle has expired' };
  }
  if (analysis.authorities.length > 1) return planRotation(input, signed, serving);

  const servingDue = renewAt(serving.facts, settings.renewRemainingShare);
  const caDue = renewAt(signed.signer.facts, settings.renewRemainingShare);
  // The serving certificate first: a CA rotation then starts with a fresh one, which
  // stays valid however long the new bundle takes to propagate.
  if (now >= servingDue) return { kind: 'issue-serving', reason: 'serving certificate due for renewal' };
  const missing = missingNames(serving.facts, settings);
  if (missing.length > 0) return { kind: 'issue-serving', reason: `serving certificate lacks ${missing.join(', ')}` };
  if (now >= caDue) return { kind: 'introduce-ca', reason: 'CA due for renewal' };
  return { kind: 'wait', until: Math.min(servingDue, caDue), reason: 'certificates current' };
}
