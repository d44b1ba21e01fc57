/**
 * JSON text of flat answers (token.generate's: strings, numbers, booleans, nulls and Dates in a
 * plain object) written directly, without the intermediate objects JSON.stringify would walk
 * (superjson's `{ json, meta }`, tRPC's `{ result: { data } }`, REST's copy with ISO strings).
 * Together they were ~4 µs of a ~75 µs tRPC token answer (bench/README.md, issue 35).
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

export interface FlatJson {
  /** The object as JSON, its valid Dates as ISO strings. */
  text: string;
  /** superjson's `meta.values` members for those Dates (`"key":["Date"]`, comma-separated); '' when none. */
  dates: string;
}

/**
 * `value` as JSON text when it is a flat plain object, else undefined (the caller's general path
 * takes it). Refused, so that the general path keeps its exact behaviour: NaN, ±Infinity and -0
 * (superjson tags them), invalid Dates, `undefined` and nested values, inherited or `__proto__`
 * keys, and Dates under keys superjson would escape in its meta (`.` or `\`).
 */
export function flatJson(value: unknown): FlatJson | undefined {
  if (typeof value !== 'object' || value === null || Object.getPrototypeOf(value) !== Object.prototype) return undefined;
  let text = '';
  let dates = '';
  for (const key in value) {
    if (!Object.hasOwn(value, key) || key === '__proto__') return undefined;
    const field = (value as Record<string, unknown>)[key];
    let written: string;
    switch (typeof field) {
      case 'string':
        written = JSON.stringify(field);
        break;
      case 'boolean':
        written = field ? 'true' : 'false';
        break;
      case 'number':
        if (!Number.isFinite(field) || Object.is(field, -0)) return undefined;
        written = String(field);
        break;
      case 'object':
        if (field === null) {
          written = 'null';
          break;
        }
        if (!(field instanceof Date) || Number.isNaN(field.getTime()) || key.includes('.') || key.includes('\\')) return undefined;
        written = `"${isoText(field)}"`;
        dates += `${dates === '' ? '' : ','}${JSON.stringify(key)}:["Date"]`;
        break;
      default:
        return undefined;
    }
    text += `${text === '' ? '' : ','}${JSON.stringify(key)}:${written}`;
  }
  return { text: `{${text}}`, dates };
}

/** The JSON text of superjson's encoding of a flat value (`{"json":…,"meta":…}`), or undefined. */
export function superjsonFlatText(value: unknown): string | undefined {
  const flat = flatJson(value);
  if (flat === undefined) return undefined;
  return flat.dates === '' ? `{"json":${flat.text}}` : `{"json":${flat.text},"meta":{"values":{${flat.dates}},"v":1}}`;
}
