// The certificate material vaultgate keeps in its TLS Secret, and how it maps to the
// Secret's keys. One shape for the leader that writes it and the replicas that serve it.
// Invariant: ca.crt is the bundle the webhook configurations must carry (one CA, or the
// new CA first and the old one after it while a CA rotation is under way); ca.key is the
// key of the CA that signs new serving certificates.
export interface StoredMaterial {
  /** PEM bundle registered as caBundle */
  caBundle: string;
  /** PEM key of the signing CA (one of the bundle) */
  caKey: string;
  /** PEM serving certificate */
  cert: string;
  /** PEM serving key */
  key: string;
}

/** The key pair a server presents. */
export interface ServingPair {
  cert: string;
  key: string;
}

export const SECRET_KEYS = { caBundle: 'ca.crt', caKey: 'ca.key', cert: 'tls.crt', key: 'tls.key' } as const;

export function materialFromSecretData(data: Record<string, string> | undefined): StoredMaterial | undefined {
  if (!data) return undefined;
  const decode = (key: string) => (data[key] ? Buffer.from(data[key], 'base64').toString('utf8') : '');
  const material = {
    caBundle: decode(SECRET_KEYS.caBundle),
    caKey: decode(SECRET_KEYS.caKey),
    cert: decode(SECRET_KEYS.cert),
    key: decode(SECRET_KEYS.key),
  };
  return material.caBundle || material.cert ? material : undefined;
}

export function secretDataFromMaterial(material: StoredMaterial): Record<string, string> {
  const encode = (text: string) => Buffer.from(text, 'utf8').toString('base64');
  return {
    [SECRET_KEYS.caBundle]: encode(material.caBundle),
    [SECRET_KEYS.caKey]: encode(material.caKey),
    [SECRET_KEYS.cert]: encode(material.cert),
    [SECRET_KEYS.key]: encode(material.key),
  };
}

export function sameMaterial(a: StoredMaterial | undefined, b: StoredMaterial | undefined): boolean {
  return a !== undefined && b !== undefined && a.caBundle === b.caBundle && a.caKey === b.caKey && a.cert === b.cert && a.key === b.key;
}
