// Bounds on the work a manifest may ask of the YAML parser, checked on the text before parsing. A VMI is a few
// levels deep; 400 000 nested brackets took the parser 11 s and 500 MB before it gave up. Aliases are bounded by
// the parser (maxAliasCount) and reported like any other invalid manifest.

/** Deeper flow nesting ([ and {) than any VirtualMachineInstance needs (annotations holding JSON included). */
export const MAX_FLOW_DEPTH = 64;

/** The deepest [ / { nesting outside quoted strings and comments: a linear scan, no parsing. */
export function flowDepth(text: string): number {
  let depth = 0;
  let max = 0;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quote) {
      if (c === '\\' && quote === '"') i++;
      else if (c === quote) quote = undefined;
      continue;
    }
    if (c === '"' || c === "'") {
      // A quote starts a string only where a scalar may start (not inside a plain word like it's).
      const prev = i > 0 ? text[i - 1] : ' ';
      if (/[\s[{,:]/.test(prev ?? ' ')) quote = c;
    } else if (c === '#' && (i === 0 || /\s/.test(text[i - 1] ?? ''))) {
      const nl = text.indexOf('\n', i);
      i = nl < 0 ? text.length : nl;
    } else if (c === '[' || c === '{') {
      if (++depth > max) max = depth;
      if (max > MAX_FLOW_DEPTH) return max;
    } else if ((c === ']' || c === '}') && depth > 0) {
      depth--;
    }
  }
  return max;
}
