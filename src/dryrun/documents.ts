// Reading a dry-run body into the objects to judge: JSON or YAML (one object, a List, or
// multi-document YAML as kustomize build prints), each with where it came from, and each
// ExternalSecret already given the defaults the mutating webhook adds (the validating
// webhook only ever sees the mutated object). Runs in the parse worker, never on the
// event loop: YAML is slow to parse and a body may be megabytes.
// Invariant: only the objects asked for (ExternalSecrets, or VaultPathPolicies in policy
// mode) leave this module with their content; every other document is reduced to its
// apiVersion, kind, name and namespace, so a Secret in a kustomize build never reaches the
// main thread, a log or a reply. Error messages name positions, never quote the input.
import sjson from 'secure-json-parse';
import { Compile } from 'typebox/compile';
import { Composer, isSeq, LineCounter, Parser, type Document } from 'yaml';
import type { JsonPatchOperation } from '../core/facts.js';
import { defaultingPatch, withDefaults } from '../core/mutate.js';
import { ESO_GROUP, ESO_VERSION, VAULTGATE_GROUP, VAULTGATE_VERSION } from '../eso/types.js';
import { KubernetesDocument, type Source } from './schemas.js';

export type BodyFormat = 'json' | 'yaml';
/** What the caller wants judged: ExternalSecrets (dry run) or one VaultPathPolicy (policy impact). */
export type Wanted = 'ExternalSecret' | 'VaultPathPolicy';

export interface PrepareOptions {
  format: BodyFormat;
  wanted: Wanted;
  /** objects (documents and List items) one body may hold */
  maxObjects: number;
  /** an ExternalSecret at least this large (as JSON) is handed over as AdmissionReview bytes for the review worker */
  largeObjectBytes: number;
}

interface Described {
  source: Source;
  apiVersion: string;
  kind: string;
  name: string;
  /** as written; absent means "the request's namespace" */
  namespace?: string;
}

export type PreparedEntry =
  | (Described & {
      type: 'externalSecret';
      mutation: JsonPatchOperation[];
      /** the defaulted object, for objects below largeObjectBytes */
      object?: unknown;
      /** an AdmissionReview (UTF-8 JSON) holding the defaulted object, for large ones */
      review?: ArrayBuffer;
    })
  | (Described & { type: 'policy'; object: unknown })
  | (Described & { type: 'skipped'; reason: string })
  | { type: 'error'; source: Source; message: string };

/** The body as a whole cannot be read; answered with a 400 naming why. */
export class BodyRejected extends Error {
  readonly statusCode = 400;
}

const MAX_MESSAGE = 240;
const documentCheck = Compile(KubernetesDocument);
const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const clip = (text: string) => (text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE - 3)}...` : text);

/** A raw document before it is classified, with a way to find the line of a List item. */
interface RawDocument {
  source: Source;
  value?: unknown;
  error?: string;
  itemLine?: (index: number) => number | undefined;
}

export function* prepareBody(bytes: Uint8Array, options: PrepareOptions): Generator<PreparedEntry> {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: false }).decode(bytes);
  } catch {
    throw new BodyRejected('the body is not valid UTF-8');
  }
  let objects = 0;
  const count = () => {
    if (++objects > options.maxObjects) {
      throw new BodyRejected(`the body holds more than ${options.maxObjects} objects (documents and List items); send at most ${options.maxObjects} per request`);
    }
  };
  const documents = options.format === 'json' ? jsonDocument(text) : yamlDocuments(text);
  for (const raw of documents) {
    if (raw.error !== undefined) {
      count();
      yield { type: 'error', source: raw.source, message: raw.error };
      continue;
    }
    if (raw.value === null || raw.value === undefined) continue; // an empty document, as kubectl skips it
    if (isList(raw.value)) {
      const items = raw.value.items;
      for (let i = 0; i < items.length; i++) {
        count();
        const line = raw.itemLine?.(i) ?? raw.source.line;
        const source: Source = { document: raw.source.document, item: i, ...(line !== undefined ? { line } : {}) };
        yield isList(items[i]) ? { type: 'error', source, message: 'a List inside a List is not read' } : classifySafely(items[i], source, options);
      }
      continue;
    }
    count();
    yield classifySafely(raw.value, raw.source, options);
  }
}

function isList(value: unknown): value is { kind: string; items: unknown[] } {
  return isObject(value) && typeof value.kind === 'string' && value.kind.endsWith('List') && Array.isArray(value.items);
}

function* jsonDocument(text: string): Generator<RawDocument> {
  const source: Source = { document: 1 };
  try {
    yield { source, value: sjson.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text) };
  } catch (error) {
    yield { source, error: clip(`not valid JSON: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

// YAML 1.1, as kubectl reads manifests (sigs.k8s.io/yaml): `yes`, `on` and `off` are booleans
// there too, so a dry run sees the same values the apiserver would. Duplicate keys are errors.
const YAML_OPTIONS = { version: '1.1', prettyErrors: false, uniqueKeys: true, strict: true, logLevel: 'silent' } as const;

/** One document at a time, so a body of a thousand documents is never held as one tree. */
function* yamlDocuments(text: string): Generator<RawDocument> {
  const lines = new LineCounter();
  const composer = new Composer(YAML_OPTIONS);
  const lineOf = (offset: number) => lines.linePos(offset).line;
  let index = 0;
  for (const doc of composer.compose(new Parser(lines.addNewLine).parse(text), true, text.length)) {
    index++;
    const source: Source = { document: index, line: lineOf(doc.contents?.range[0] ?? doc.range[0]) };
    const error = doc.errors[0];
    if (error) {
      yield { source, error: clip(`YAML (line ${lineOf(error.pos[0])}): ${error.message}`) };
      continue;
    }
    try {
      yield { source, value: doc.toJS({ maxAliasCount: 100 }), itemLine: itemLines(doc, lineOf) };
    } catch (thrown) {
      yield { source, error: clip(`YAML: ${thrown instanceof Error ? thrown.message : String(thrown)}`) };
    }
  }
}

function itemLines(doc: Document.Parsed, lineOf: (offset: number) => number): (index: number) => number | undefined {
  return (index) => {
    const items = doc.get('items', true);
    const range = isSeq(items) ? (items.items[index] as { range?: [number, number, number] } | undefined)?.range : undefined;
    return range ? lineOf(range[0]) : undefined;
  };
}

function schemaProblem(value: unknown): string | undefined {
  if (documentCheck.Check(value)) return undefined;
  const problems = documentCheck
    .Errors(value)
    .slice(0, 3)
    .map((e) => {
      const field = e.instancePath.split('/').filter(Boolean).join('.');
      return field ? `${field} ${e.message}` : e.message;
    });
  return `not a Kubernetes object: ${problems.join('; ')}`;
}

/** One hostile document (nested past the stack, say) is that document's error, not the body's. */
function classifySafely(value: unknown, source: Source, options: PrepareOptions): PreparedEntry {
  try {
    return classify(value, source, options);
  } catch (error) {
    return { type: 'error', source, message: clip(`could not be read: ${error instanceof Error ? error.message : String(error)}`) };
  }
}

function classify(value: unknown, source: Source, options: PrepareOptions): PreparedEntry {
  if (!isObject(value)) return { type: 'error', source, message: 'not a Kubernetes object: a document must be a mapping' };
  const problem = schemaProblem(value);
  if (problem) return { type: 'error', source, message: clip(problem) };
  const metadata = isObject(value.metadata) ? value.metadata : {};
  const described: Described = {
    source,
    apiVersion: String(value.apiVersion),
    kind: String(value.kind),
    // metadata.name only: a generateName object is "(generated name)", as admission labels it
    name: typeof metadata.name === 'string' ? metadata.name : '',
    ...(typeof metadata.namespace === 'string' && metadata.namespace ? { namespace: metadata.namespace } : {}),
  };
  const [group, version] = described.apiVersion.includes('/') ? described.apiVersion.split('/', 2) : ['', described.apiVersion];
  const wanted = options.wanted === 'ExternalSecret' ? { group: ESO_GROUP, version: ESO_VERSION } : { group: VAULTGATE_GROUP, version: VAULTGATE_VERSION };
  if (group !== wanted.group || described.kind !== options.wanted) {
    return { ...described, type: 'skipped', reason: `${described.kind} (${described.apiVersion}) is not ${options.wanted === 'ExternalSecret' ? 'an' : 'a'} ${options.wanted}` };
  }
  if (version !== wanted.version) {
    return { type: 'error', source, message: `vaultgate judges ${wanted.group}/${wanted.version} ${options.wanted}s (as admission sees them); this one is ${described.apiVersion}` };
  }
  if (options.wanted === 'VaultPathPolicy') return { ...described, type: 'policy', object: value };
  return { ...described, type: 'externalSecret', ...defaulted(value, described, options.largeObjectBytes) };
}

/** The mutation admission applies, and the object the validating webhook would see after it. */
function defaulted(value: Record<string, unknown>, described: Described, largeObjectBytes: number): { mutation: JsonPatchOperation[]; object?: unknown; review?: ArrayBuffer } {
  const mutation = defaultingPatch(value);
  const object = withDefaults(value);
  const json = JSON.stringify(object);
  if (json.length < largeObjectBytes) return { mutation, object };
  const request = JSON.stringify({
    uid: `dry-run-${described.source.document}-${described.source.item ?? 0}`,
    kind: { group: ESO_GROUP, version: ESO_VERSION, kind: 'ExternalSecret' },
    operation: 'CREATE',
    namespace: described.namespace ?? '',
    name: described.name,
    dryRun: true,
  });
  const review = `{"apiVersion":"admission.k8s.io/v1","kind":"AdmissionReview","request":${request.slice(0, -1)},"object":${json}}}`;
  return { mutation, review: new TextEncoder().encode(review).buffer as ArrayBuffer };
}
