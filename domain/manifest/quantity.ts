// Kubernetes resource quantities (`128Mi`, `4096M`, `1.5Gi`, `1e9`) as a whole number of bytes.
// Exact decimal arithmetic with BigInt: `1.1M` must be 1100000, not 1100000.0000000002.

const QUANTITY = /^\+?(\d+(?:\.\d*)?|\.\d+)(?:(Ki|Mi|Gi|Ti|Pi|Ei)|([numkMGTPE])|[eE]([+-]?\d+))?$/;

const BINARY_POWER: Record<string, bigint> = { Ki: 10n, Mi: 20n, Gi: 30n, Ti: 40n, Pi: 50n, Ei: 60n };
const DECIMAL_EXPONENT: Record<string, number> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };

/**
 * Bytes for a Kubernetes quantity, rounded up like Kubernetes' `Value()` does; undefined for anything that is not a
 * non-negative quantity (garbage, negative numbers, NaN, Infinity, surrounding spaces).
 */
export function parseQuantity(input: string | number): number | undefined {
  if (typeof input === 'number') {
    return Number.isFinite(input) && input >= 0 ? Math.ceil(input) : undefined;
  }
  if (typeof input !== 'string') return undefined;
  const m = QUANTITY.exec(input);
  if (!m) return undefined;
  const [, number = '', binary, decimal, exponent] = m;
  const [whole = '', fraction = ''] = number.split('.');
  // value = digits * 10^exp10 * 2^exp2
  const digits = BigInt((whole + fraction) || '0');
  let exp10 = -fraction.length;
  let exp2 = 0n;
  if (binary) exp2 = BINARY_POWER[binary] ?? 0n;
  if (decimal) exp10 += DECIMAL_EXPONENT[decimal] ?? 0;
  if (exponent) {
    const e = Number(exponent);
    if (!Number.isSafeInteger(e) || Math.abs(e) > 100) return undefined; // 1e999999 would hang BigInt math
    exp10 += e;
  }
  let numerator = digits << exp2;
  let denominator = 1n;
  if (exp10 >= 0) numerator *= 10n ** BigInt(exp10);
  else denominator = 10n ** BigInt(-exp10);
  const bytes = (numerator + denominator - 1n) / denominator; // ceiling division
  const result = Number(bytes);
  return Number.isFinite(result) ? result : undefined;
}
