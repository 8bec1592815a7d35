// Go's path.Clean and path.Join (package path, slash-separated), ported line for line so
// that a Vault key vaultgate normalises is the key ESO would normalise: "team-a/../team-b"
// must be judged as "team-b", never as a path under "team-a".
// Invariant: only '/' and '.' are significant, both ASCII, so working on UTF-16 code units
// gives byte-for-byte the result Go gives on the UTF-8 bytes of the same text.

/**
 * path.Clean: the shortest path equivalent to `path` by purely lexical processing —
 * repeated slashes collapse, "." elements go, ".." eats the element before it (or, at the
 * root, itself), a trailing slash goes; an empty result is ".".
 */
export function cleanPath(path: string): string {
  if (path === '') return '.';
  const rooted = path[0] === '/';
  const n = path.length;
  // Go writes into a lazybuf with write index w; here out.length plays w.
  const out: string[] = [];
  let r = 0;
  let dotdot = 0; // where ".." may no longer backtrack past
  if (rooted) {
    out.push('/');
    r = 1;
    dotdot = 1;
  }
  while (r < n) {
    if (path[r] === '/') {
      r++; // empty element
    } else if (path[r] === '.' && (r + 1 === n || path[r + 1] === '/')) {
      r++; // "." element
    } else if (path[r] === '.' && path[r + 1] === '.' && (r + 2 === n || path[r + 2] === '/')) {
      r += 2; // ".." element: drop the last output element, or keep ".." when nothing can go
      if (out.length > dotdot) {
        // Back up to the last '/' (exclusive), as Go moves its write index.
        let w = out.length - 1;
        while (w > dotdot && out[w] !== '/') w--;
        out.length = w;
      } else if (!rooted) {
        if (out.length > 0) out.push('/');
        out.push('.', '.');
        dotdot = out.length;
      }
    } else {
      if ((rooted && out.length !== 1) || (!rooted && out.length !== 0)) out.push('/');
      for (; r < n && path[r] !== '/'; r++) out.push(path[r] as string);
    }
  }
  return out.length === 0 ? '.' : out.join('');
}

/** path.Join: the non-empty elements joined by '/', then cleaned; "" when all are empty. */
export function joinPath(...elements: string[]): string {
  // Go skips empty elements only until the first non-empty one; after it, each adds a '/'.
  const first = elements.findIndex((element) => element !== '');
  if (first === -1) return '';
  return cleanPath(elements.slice(first).join('/'));
}
