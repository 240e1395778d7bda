// Decimal strings (money as the API sends it) compared exactly, without turning them into floats.

type Parts = { negative: boolean; int: string; frac: string };

function parts(value: string): Parts {
  const match = /^\s*([+-])?(\d*)(?:\.(\d*))?\s*$/.exec(value);
  if (!match) throw new Error(`not a decimal: ${value}`);
  const int = (match[2] ?? "").replace(/^0+/, "");
  const frac = (match[3] ?? "").replace(/0+$/, "");
  const zero = int === "" && frac === "";
  return { negative: match[1] === "-" && !zero, int, frac };
}

function compareMagnitude(a: Parts, b: Parts): number {
  if (a.int.length !== b.int.length) return a.int.length < b.int.length ? -1 : 1;
  if (a.int !== b.int) return a.int < b.int ? -1 : 1;
  const width = Math.max(a.frac.length, b.frac.length);
  const fa = a.frac.padEnd(width, "0");
  const fb = b.frac.padEnd(width, "0");
  return fa === fb ? 0 : fa < fb ? -1 : 1;
}

/** -1, 0 or 1 as decimal string `a` is below, equal to or above `b` ("10.50" vs "9.99"). */
export function compareDecimal(a: string, b: string): number {
  const pa = parts(a);
  const pb = parts(b);
  if (pa.negative !== pb.negative) return pa.negative ? -1 : 1;
  const magnitude = compareMagnitude(pa, pb);
  return pa.negative ? -magnitude : magnitude;
}

/** Whether a decimal string is below zero ("-0.00" is not). */
export function isNegativeDecimal(value: string): boolean {
  return parts(value).negative;
}

function places(value: string): number {
  return (value.trim().split(".")[1] ?? "").length;
}

/** The exact sum of decimal strings, to the most decimals any of them has ("0.10" + "0.2" is "0.30"). */
export function addDecimals(values: readonly string[]): string {
  const scale = Math.max(0, ...values.map(places));
  let total = 0n;
  for (const value of values) {
    const p = parts(value);
    const digits = BigInt(`${p.int || "0"}${p.frac.padEnd(scale, "0")}`);
    total += p.negative ? -digits : digits;
  }
  const negative = total < 0n;
  const text = (negative ? -total : total).toString().padStart(scale + 1, "0");
  const whole = text.slice(0, text.length - scale);
  return `${negative ? "-" : ""}${whole}${scale ? `.${text.slice(text.length - scale)}` : ""}`;
}
