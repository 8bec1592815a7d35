// The boundary where hostile input becomes typed: an ExternalSecret as received (from an
// AdmissionReview before schema validation, from a dry-run file, from anywhere) is read
// field by field into a view whose types hold, and every field of the wrong type becomes a
// finding instead of an exception further in. Entries keep their positions (a malformed
// entry is null), so field paths in messages name what the user wrote.
import type { RemoteRef } from '../eso/types.js';
import type { Finding } from './facts.js';

export interface RemoteRefView {
  key?: string;
  property?: string;
  version?: string;
  metadataPolicy?: string;
  conversionStrategy?: string;
  decodingStrategy?: string;
}

export interface DataView {
  secretKey?: string;
  remoteRef?: RemoteRefView;
  hasSourceRef: boolean;
}

export interface FindView {
  path?: string;
  nameRegexp?: string;
  hasName: boolean;
  tags?: Record<string, string>;
  conversionStrategy?: string;
}

/** One rewrite operation, as far as it can be judged without Vault's answer. */
export interface RewriteView {
  regexpSource?: string;
  transformTemplate?: string;
  mergeStrategy?: string;
  mergeInto?: string;
}

export interface DataFromView {
  extract?: RemoteRefView;
  find?: FindView;
  hasRewrite: boolean;
  /** null where an operation is not an object */
  rewrites: (RewriteView | null)[];
  hasSourceRef: boolean;
  hasGeneratorRef: boolean;
}

export interface ExternalSecretView {
  name: string;
  generateName: string;
  hasSpec: boolean;
  storeRef: { kind?: string; name?: string };
  refreshInterval?: string;
  refreshPolicy?: string;
  target: { name?: string; creationPolicy?: string; deletionPolicy?: string };
  /** null where an entry is not an object */
  data: (DataView | null)[];
  dataFrom: (DataFromView | null)[];
}

type Record_ = Record<string, unknown>;

const isObject = (value: unknown): value is Record_ => typeof value === 'object' && value !== null && !Array.isArray(value);

class Reader {
  constructor(readonly findings: Finding[]) {}

  wrong(field: string, expected: string): undefined {
    this.findings.push({ field, message: `must be ${expected}`, check: 'structure' });
    return undefined;
  }

  object(value: unknown, field: string): Record_ | undefined {
    if (value === undefined || value === null) return undefined;
    return isObject(value) ? value : this.wrong(field, 'an object');
  }

  string(value: unknown, field: string): string | undefined {
    if (value === undefined || value === null) return undefined;
    return typeof value === 'string' ? value : this.wrong(field, 'a string');
  }

  list(value: unknown, field: string): unknown[] {
    if (value === undefined || value === null) return [];
    return Array.isArray(value) ? value : (this.wrong(field, 'a list'), []);
  }

  stringMap(value: unknown, field: string): Record<string, string> | undefined {
    const object = this.object(value, field);
    if (!object) return undefined;
    const out: Record<string, string> = {};
    for (const [key, item] of Object.entries(object)) {
      const text = this.string(item, `${field}.${key}`);
      if (text !== undefined) out[key] = text;
    }
    return out;
  }

  remoteRef(value: unknown, field: string): RemoteRefView | undefined {
    const ref = this.object(value, field);
    if (!ref) return undefined;
    const view: RemoteRefView = {};
    for (const name of ['key', 'property', 'version', 'metadataPolicy', 'conversionStrategy', 'decodingStrategy'] as const satisfies readonly (keyof RemoteRef)[]) {
      const text = this.string(ref[name], `${field}.${name}`);
      if (text !== undefined) view[name] = text;
    }
    return view;
  }

  rewrite(value: unknown, field: string): RewriteView | null {
    const operation = this.object(value, field);
    if (!operation) return null;
    const view: RewriteView = {};
    const regexp = this.object(operation.regexp, `${field}.regexp`);
    const source = regexp ? this.string(regexp.source, `${field}.regexp.source`) : undefined;
    if (source !== undefined) view.regexpSource = source;
    const transform = this.object(operation.transform, `${field}.transform`);
    const template = transform ? this.string(transform.template, `${field}.transform.template`) : undefined;
    if (template !== undefined) view.transformTemplate = template;
    const merge = this.object(operation.merge, `${field}.merge`);
    const strategy = merge ? this.string(merge.strategy, `${field}.merge.strategy`) : undefined;
    if (strategy !== undefined) view.mergeStrategy = strategy;
    const into = merge ? this.string(merge.into, `${field}.merge.into`) : undefined;
    if (into !== undefined) view.mergeInto = into;
    return view;
  }

  find(value: unknown, field: string): FindView | undefined {
    const find = this.object(value, field);
    if (!find) return undefined;
    const view: FindView = { hasName: find.name !== undefined && find.name !== null };
    const path = this.string(find.path, `${field}.path`);
    if (path !== undefined) view.path = path;
    const name = this.object(find.name, `${field}.name`);
    const regexp = name ? this.string(name.regexp, `${field}.name.regexp`) : undefined;
    if (regexp !== undefined) view.nameRegexp = regexp;
    const tags = this.stringMap(find.tags, `${field}.tags`);
    if (tags !== undefined) view.tags = tags;
    const conversion = this.string(find.conversionStrategy, `${field}.conversionStrategy`);
    if (conversion !== undefined) view.conversionStrategy = conversion;
    return view;
  }
}

const present = (value: unknown) => value !== undefined && value !== null;

/** The typed view of anything that claims to be an ExternalSecret, and what was wrong with it. */
export function readExternalSecret(raw: unknown, maxEntries: number): { view: ExternalSecretView; findings: Finding[]; tooLarge: Finding[] } {
  const findings: Finding[] = [];
  const tooLarge: Finding[] = [];
  const read = new Reader(findings);
  const object = isObject(raw) ? raw : (read.wrong('(object)', 'an object'), {});
  const metadata = read.object(object.metadata, 'metadata') ?? {};
  const spec = read.object(object.spec, 'spec');
  const view: ExternalSecretView = {
    name: read.string(metadata.name, 'metadata.name') ?? '',
    generateName: read.string(metadata.generateName, 'metadata.generateName') ?? '',
    hasSpec: spec !== undefined,
    storeRef: {},
    target: {},
    data: [],
    dataFrom: [],
  };
  if (!spec) return { view, findings, tooLarge };

  const storeRef = read.object(spec.secretStoreRef, 'spec.secretStoreRef') ?? {};
  const kind = read.string(storeRef.kind, 'spec.secretStoreRef.kind');
  const name = read.string(storeRef.name, 'spec.secretStoreRef.name');
  if (kind !== undefined) view.storeRef.kind = kind;
  if (name !== undefined) view.storeRef.name = name;
  const refreshInterval = read.string(spec.refreshInterval, 'spec.refreshInterval');
  if (refreshInterval !== undefined) view.refreshInterval = refreshInterval;
  const refreshPolicy = read.string(spec.refreshPolicy, 'spec.refreshPolicy');
  if (refreshPolicy !== undefined) view.refreshPolicy = refreshPolicy;
  const target = read.object(spec.target, 'spec.target') ?? {};
  for (const field of ['name', 'creationPolicy', 'deletionPolicy'] as const) {
    const text = read.string(target[field], `spec.target.${field}`);
    if (text !== undefined) view.target[field] = text;
  }

  const data = read.list(spec.data, 'spec.data');
  const dataFrom = read.list(spec.dataFrom, 'spec.dataFrom');
  // Counted before anything is read entry by entry, so the work stays bounded.
  if (data.length + dataFrom.length > maxEntries) {
    tooLarge.push({
      field: data.length > dataFrom.length ? 'spec.data' : 'spec.dataFrom',
      message: `${data.length} data and ${dataFrom.length} dataFrom entries exceed the limit of ${maxEntries} entries per ExternalSecret (--max-entries)`,
      check: 'limit',
    });
    return { view, findings, tooLarge };
  }

  view.data = data.map((entry, i) => {
    const field = `spec.data[${i}]`;
    const item = read.object(entry, field);
    if (!item) return null;
    const out: DataView = { hasSourceRef: present(item.sourceRef) };
    const secretKey = read.string(item.secretKey, `${field}.secretKey`);
    if (secretKey !== undefined) out.secretKey = secretKey;
    const remoteRef = read.remoteRef(item.remoteRef, `${field}.remoteRef`);
    if (remoteRef) out.remoteRef = remoteRef;
    return out;
  });
  view.dataFrom = dataFrom.map((entry, i) => {
    const field = `spec.dataFrom[${i}]`;
    const item = read.object(entry, field);
    if (!item) return null;
    const sourceRef = read.object(item.sourceRef, `${field}.sourceRef`);
    const rewrites = read.list(item.rewrite, `${field}.rewrite`).map((operation, j) => read.rewrite(operation, `${field}.rewrite[${j}]`));
    const out: DataFromView = {
      hasRewrite: rewrites.length > 0,
      rewrites,
      hasSourceRef: sourceRef !== undefined,
      hasGeneratorRef: sourceRef !== undefined && present(sourceRef.generatorRef),
    };
    const extract = read.remoteRef(item.extract, `${field}.extract`);
    if (extract) out.extract = extract;
    const find = read.find(item.find, `${field}.find`);
    if (find) out.find = find;
    return out;
  });
  return { view, findings, tooLarge };
}

