// Secret keys from dataFrom (extract and find) as ESO names them (pkg/esutils ConvertKeys):
// with no rewrite, every character that is not a Unicode letter or number, "-", "." or "_"
// becomes "_" (conversionStrategy Default) or "_Uxxxx_" (Unicode), so "app/db" is key
// "app_db". The reconciler names keys with this too, so both agree with ESO byte for byte.

const KEEP = /[\p{L}\p{N}._-]/u;

export function convertKey(name: string, strategy: string): string {
  let out = '';
  for (const ch of name) {
    if (KEEP.test(ch)) out += ch;
    else if (strategy === 'Unicode') out += `_U${(ch.codePointAt(0) ?? 0).toString(16).padStart(4, '0')}_`;
    else if (strategy === 'Default') out += '_';
    else out += ch;
  }
  return out;
}
