// The repository root, found from this file's own place, from dist/test/env or test/env
// alike. Its own module so that what must stay light (the Go oracle of the unit tests)
// need not load the stack and its Kubernetes client to find it.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const repoRoot = (() => {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    const parent = dirname(dir);
    if (parent === dir) throw new Error('repository root not found');
    dir = parent;
  }
})();
