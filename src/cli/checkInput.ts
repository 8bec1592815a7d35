// What `vaultgate check -f` sends: the files named (a directory is walked recursively for
// .yaml, .yml and .json, in a stable order), or standard input for "-", each as the bytes
// the server will parse. Nothing here parses a manifest: the server reads them as it reads
// any request, so the CLI and a direct call can never disagree about a file.
import { readdir, readFile, stat } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface CheckInput {
  /** how the file is named in reports: the path as given, or "-" for standard input */
  name: string;
  format: 'json' | 'yaml';
  bytes: Buffer;
}

export class UsageError extends Error {}

const MANIFEST_EXTENSIONS = new Set(['.yaml', '.yml', '.json']);

const formatOf = (path: string): CheckInput['format'] => (extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');

/** JSON or YAML on standard input: a JSON object starts with "{" (YAML reads JSON too, only slower). */
const sniff = (bytes: Buffer): CheckInput['format'] => (/^\s*\{/.test(bytes.subarray(0, 1024).toString('utf8')) ? 'json' : 'yaml');

export async function gatherInputs(paths: readonly string[], readStdin: () => Promise<Buffer>): Promise<CheckInput[]> {
  const inputs: CheckInput[] = [];
  let stdinRead = false;
  for (const path of paths) {
    if (path === '-') {
      if (stdinRead) throw new UsageError('standard input (-) can be named once');
      stdinRead = true;
      const bytes = await readStdin();
      inputs.push({ name: '-', format: sniff(bytes), bytes });
      continue;
    }
    const info = await stat(path).catch(() => undefined);
    if (!info) throw new UsageError(`${path}: no such file or directory`);
    if (!info.isDirectory()) {
      // A file named explicitly is read whatever its extension, as kubectl -f does.
      inputs.push({ name: path, format: formatOf(path), bytes: await readFile(path) });
      continue;
    }
    const found = await manifestsUnder(path);
    if (found.length === 0) throw new UsageError(`${path}: no .yaml, .yml or .json files in this directory`);
    for (const file of found) inputs.push({ name: file, format: formatOf(file), bytes: await readFile(file) });
  }
  return inputs;
}

async function manifestsUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true });
  const files: string[] = [];
  for (const entry of entries) {
    const path = join(entry.parentPath, entry.name);
    if (!MANIFEST_EXTENSIONS.has(extname(entry.name).toLowerCase())) continue;
    if (entry.isFile() || (entry.isSymbolicLink() && (await stat(path).catch(() => undefined))?.isFile())) files.push(path);
  }
  return files.sort();
}
