// Numbers, money and dates, formatted with Intl in the user's locale and the given currency.

// Building an Intl formatter costs far more than using one (a date format ~3 ms, measured in the
// first load's profile): one of each per locale and options, kept for the page's life.
const formats = new Map<string, Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>();

function cached<T extends Intl.NumberFormat | Intl.DateTimeFormat | Intl.RelativeTimeFormat>(
  kind: string,
  locale: string,
  options: object,
  make: () => T,
): T {
  const key = `${kind}|${locale}|${JSON.stringify(options)}`;
  let format = formats.get(key) as T | undefined;
  if (!format) {
    format = make();
    formats.set(key, format);
  }
  return format;
}

/** The Intl.NumberFormat for a locale and options, built once. */
export function numberFormat(locale: string, options: Intl.NumberFormatOptions): Intl.NumberFormat {
  return cached("number", locale, options, () => new Intl.NumberFormat(locale, options));
}

/** The Intl.DateTimeFormat for a locale and options, built once. */
export function dateFormat(locale: string, options: Intl.DateTimeFormatOptions): Intl.DateTimeFormat {
  return cached("date", locale, options, () => new Intl.DateTimeFormat(locale, options));
}

export function userLocale(): string {
  return typeof navigator !== "undefined" && navigator.language ? navigator.language : "en-GB";
}

/** Money in `currency`; `amount` is a decimal string (as the API sends money) or a number. */
export function formatMoney(
  amount: string | number,
  currency: string,
  locale: string = userLocale(),
): string {
  const value = typeof amount === "string" ? Number(amount) : amount;
  return numberFormat(locale, { style: "currency", currency }).format(value);
}

export function formatNumber(value: number, locale: string = userLocale(), digits = 0): string {
  return numberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits }).format(value);
}

/** A ratio (0.125) as a percentage ("12.5%"). */
export function formatPercent(ratio: number, locale: string = userLocale(), digits = 1): string {
  return numberFormat(locale, {
    style: "percent",
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  }).format(ratio);
}

/** A signed change ("+4.2%", "−1.0%"), for comparisons. */
export function formatChange(ratio: number, locale: string = userLocale()): string {
  return numberFormat(locale, {
    style: "percent",
    signDisplay: "exceptZero",
    minimumFractionDigits: 1,
    maximumFractionDigits: 1,
  }).format(ratio);
}

function parseIsoDate(iso: string): Date {
  const [y, m, d] = iso.split("-").map(Number);
  return new Date(Date.UTC(y ?? 1970, (m ?? 1) - 1, d ?? 1));
}

/** A calendar-date range ("1 – 7 Jan 2026"); dates are ISO yyyy-mm-dd. */
export function formatDateRange(from: string, to: string, locale: string = userLocale()): string {
  const format = dateFormat(locale, { day: "numeric", month: "short", year: "numeric", timeZone: "UTC" });
  if (from === to) return format.format(parseIsoDate(from));
  return format.formatRange(parseIsoDate(from), parseIsoDate(to));
}

/** The currency's display name ("Pound sterling"), or the code when Intl does not know it. */
export function currencyName(code: string, locale: string = userLocale()): string {
  try {
    return new Intl.DisplayNames([locale], { type: "currency" }).of(code) ?? code;
  } catch {
    return code;
  }
}

const COMMON = ["GBP", "EUR", "USD", "AUD", "CAD", "JPY", "NZD", "CHF", "SEK", "NOK", "DKK"];

/** ISO 4217 codes to offer: the common ones first, then every code the browser knows. */
export function currencyCodes(): string[] {
  const all =
    typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("currency") : [];
  return [...COMMON, ...all.filter((code) => !COMMON.includes(code))];
}

/** IANA timezones to offer (every one the browser knows), with `current` kept even where the
 * browser does not list it (an alias such as "UTC"). */
export function timezoneNames(current?: string | null): string[] {
  const all = typeof Intl.supportedValuesOf === "function" ? Intl.supportedValuesOf("timeZone") : [];
  const names = all.length ? [...all] : ["Europe/London"];
  if (current && !names.includes(current)) names.unshift(current);
  return names;
}

/** A moment ("3 Mar 2026, 14:05") in the user's timezone; ISO 8601 in. */
export function formatDateTime(iso: string, locale: string = userLocale()): string {
  return dateFormat(locale, { dateStyle: "medium", timeStyle: "short" }).format(
    new Date(iso),
  );
}

/** How long ago or until a moment ("5 minutes ago", "in 2 hours"), relative to `now`. */
export function formatRelative(iso: string, now: Date = new Date(), locale: string = userLocale()): string {
  const seconds = Math.round((new Date(iso).getTime() - now.getTime()) / 1000);
  const units: [Intl.RelativeTimeFormatUnit, number][] = [
    ["day", 86_400],
    ["hour", 3_600],
    ["minute", 60],
  ];
  const format = cached("relative", locale, { numeric: "auto" }, () => new Intl.RelativeTimeFormat(locale, { numeric: "auto" }));
  for (const [unit, size] of units) {
    if (Math.abs(seconds) >= size) return format.format(Math.round(seconds / size), unit);
  }
  return seconds <= 0 ? "just now" : "in under a minute";
}

/** The plural of an English noun phrase as the catalog's headers spell them ("category" → "categories"). */
export function plural(noun: string): string {
  if (/[^aeiou]y$/i.test(noun)) return `${noun.slice(0, -1)}ies`;
  if (/(s|x|z|ch|sh)$/i.test(noun)) return `${noun}es`;
  return `${noun}s`;
}
