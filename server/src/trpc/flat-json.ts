/**
 * JSON text of flat answers (token.generate's: strings, numbers, booleans, nulls and Dates in a
 * plain object): one JSON.stringify of a flat copy whose Dates are their remembered ISO text, and
 * the envelopes around it (superjson's `{ json, meta }`, tRPC's `{ result: { data } }`) written as
 * text rather than built as objects for JSON.stringify to walk (the Dates' toJSON takes it off its
 * fast path). Together they were ~4 µs of a ~75 µs tRPC token answer (bench/README.md, issue 35).
 */

/** ISO texts of recent instants: token times have one-second resolution, so they repeat. */
const isoTexts = new Map<number, string>();

/** `date.toISOString()`, remembered for the last instants written (bounded). */
export function isoText(date: Date): string {
  const time = date.getTime();
  let text = isoTexts.get(time);
  if (text === undefined) {
    if (isoTexts.size >= 64) isoTexts.clear();
    text = date.toISOString();
    isoTexts.set(time, text);
  }
  return text;
}

/** A flat value's copy with its Dates as ISO text, and the keys that held Dates (undefined when none). */
export interface FlatCopy {
  json: Record<string, unknown>;
  dateKeys: string[] | undefined;
}

/**
 * The one definition of a flat answer, for its JSON text here and superjson's encoding of it
 * (transformer.ts): a plain object of strings, booleans, nulls, numbers and valid Dates. Undefined
 * for anything else, so that the general path keeps its exact behaviour: NaN, ±Infinity and -0
 * (superjson tags them), invalid Dates, `undefined` and nested values, inherited or `__proto__`
 * keys, and Dates under keys superjson would escape in its meta (`.` or `\`).
 */
export function flatCopy(value: unknown): FlatCopy | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  // A spread copy with the Dates replaced: JSON.stringify's walk of a flat object of strings is
  // faster than writing the text piece by piece (measured: ~1 against ~3 µs a token answer).
  const json: Record<string, unknown> = { ...value };
  let dateKeys: string[] | undefined;
  for (const key in json) {
    if (!Object.hasOwn(json, key) || key === '__proto__') return undefined;
    const field = json[key];
    switch (typeof field) {
      case 'string':
      case 'boolean':
        break;
      case 'number':
        if (!Number.isFinite(field) || Object.is(field, -0)) return undefined;
        break;
      case 'object':
        if (field === null) break;
        if (!(field instanceof Date) || Number.isNaN(field.getTime()) || key.includes('.') || key.includes('\\')) return undefined;
        json[key] = isoText(field);
        (dateKeys ??= []).push(key);
        break;
      default:
        return undefined;
    }
  }
  return { json, dateKeys };
}

export interface FlatJson {
  /** The object as JSON, its valid Dates as ISO strings. */
  text: string;
  /** superjson's `meta.values` members for those Dates (`"key":["Date"]`, comma-separated); '' when none. */
  dates: string;
}

/** `value` as JSON text when it is flat (flatCopy), else undefined (the caller's general path takes it). */
export function flatJson(value: unknown): FlatJson | undefined {
  const flat = flatCopy(value);
  if (flat === undefined) return undefined;
  const dates = flat.dateKeys?.map((key) => `${JSON.stringify(key)}:["Date"]`).join(',') ?? '';
  return { text: JSON.stringify(flat.json), dates };
}

/** The JSON text of superjson's encoding of a flat value (`{"json":…,"meta":…}`), or undefined. */
export function superjsonFlatText(value: unknown): string | undefined {
  const flat = flatJson(value);
  if (flat === undefined) return undefined;
  return flat.dates === '' ? `{"json":${flat.text}}` : `{"json":${flat.text},"meta":{"values":{${flat.dates}},"v":1}}`;
}
