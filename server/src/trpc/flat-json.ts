/**
 * JSON text of flat answers (token.generate's: strings, numbers, booleans, nulls and Dates in a
 * plain object), written field by field, the Dates as their remembered ISO text, and the envelopes
 * around it (superjson's `{ json, meta }`, tRPC's `{ result: { data } }`) written as text rather
 * than built as objects for JSON.stringify to walk (a Date's toJSON takes it off its fast path).
 * Together they were ~4 µs of a ~75 µs tRPC token answer, and a copy for JSON.stringify ~1.7 µs
 * against ~0.7 µs written here (bench/README.md, issue 35).
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

/** What JSON.stringify writes unchanged between quotes: printable ASCII but `"` and `\`. */
const VERBATIM = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;

/** `JSON.stringify(text)`, without its call for the texts it would not escape (tokens, ids, names). */
const stringText = (text: string): string => (VERBATIM.test(text) ? `"${text}"` : JSON.stringify(text));

/** `"key":` of the keys written lately (bounded: the keys of Agora's flat answers pass here too). */
const keyTexts = new Map<string, string>();
function keyText(key: string): string {
  let text = keyTexts.get(key);
  if (text === undefined) {
    if (keyTexts.size >= 256) keyTexts.clear();
    text = `${stringText(key)}:`;
    keyTexts.set(key, text);
  }
  return text;
}

/** A plain object's field in a flat answer: a JSON value, a valid Date (written as ISO text), or not flat. */
type FlatField = 'value' | 'date' | undefined;

/**
 * The one definition of a flat answer's fields, for its JSON text here and superjson's encoding
 * of it (transformer.ts): strings, booleans, nulls, numbers and valid Dates. Anything else is not
 * flat, so that the general path keeps its exact behaviour: NaN, ±Infinity and -0 (superjson tags
 * them), invalid Dates, `undefined` and nested values, `__proto__`, and Dates under keys superjson
 * would escape in its meta (`.` or `\`).
 */
function flatField(key: string, field: unknown): FlatField {
  switch (typeof field) {
    case 'string':
    case 'boolean':
      return 'value';
    case 'number':
      return Number.isFinite(field) && !Object.is(field, -0) ? 'value' : undefined;
    case 'object':
      if (field === null) return 'value';
      return field instanceof Date && !Number.isNaN(field.getTime()) && !key.includes('.') && !key.includes('\\') ? 'date' : undefined;
    default:
      return undefined;
  }
}

/** A plain object (no class, no inherited keys to write): the only values that can be flat. */
function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && Object.getPrototypeOf(value) === Object.prototype;
}

/** A flat value's copy with its Dates as ISO text, and the keys that held Dates (undefined when none). */
export interface FlatCopy {
  json: Record<string, unknown>;
  dateKeys: string[] | undefined;
}

/** A flat value's copy for superjson's encoding (transformer.ts), or undefined when it is not flat. */
export function flatCopy(value: unknown): FlatCopy | undefined {
  if (!isPlainObject(value)) return undefined;
  const json: Record<string, unknown> = { ...value };
  let dateKeys: string[] | undefined;
  for (const key in json) {
    if (!Object.hasOwn(json, key) || key === '__proto__') return undefined;
    const field = json[key];
    const kind = flatField(key, field);
    if (kind === undefined) return undefined;
    if (kind === 'date') {
      json[key] = isoText(field as Date);
      (dateKeys ??= []).push(key);
    }
  }
  return { json, dateKeys };
}

/**
 * The keys of the flat answers written lately and their `"key":` texts, by position: answers of
 * one kind (every token answer) have the same keys in the same order, and a key from for…in is
 * compared by identity, cheaper than looking its text up by name.
 */
const keysAt: string[] = [];
const keyTextsAt: string[] = [];
const KEYS_REMEMBERED = 32;

function keyTextAt(position: number, key: string): string {
  if (keysAt[position] === key) return keyTextsAt[position]!;
  const text = keyText(key);
  if (position < KEYS_REMEMBERED) {
    keysAt[position] = key;
    keyTextsAt[position] = text;
  }
  return text;
}

/**
 * `JSON.stringify(value)`'s text when `value` is flat (its Dates as their ISO strings), written
 * field by field, or with `superjson` the text of superjson's encoding of it (`{"json":…,"meta":…}`,
 * its Dates listed in the meta); undefined for anything else.
 */
function writeFlat(value: unknown, superjson: boolean): string | undefined {
  if (!isPlainObject(value)) return undefined;
  let text = '';
  let dates = '';
  let position = 0;
  // for…in visits the keys in JSON.stringify's order (integer keys first, then as inserted).
  for (const key in value) {
    if (!Object.hasOwn(value, key) || key === '__proto__') return undefined;
    const field = value[key];
    const kind = flatField(key, field);
    let written: string;
    if (kind === undefined) return undefined;
    const named = keyTextAt(position++, key);
    if (kind === 'date') {
      written = `"${isoText(field as Date)}"`;
      if (superjson) dates += `${dates === '' ? '' : ','}${named}["Date"]`;
    } else written = typeof field === 'string' ? stringText(field) : String(field);
    text += `${text === '' ? '{' : ','}${named}${written}`;
  }
  const json = text === '' ? '{}' : `${text}}`;
  if (!superjson) return json;
  return dates === '' ? `{"json":${json}}` : `{"json":${json},"meta":{"values":{${dates}},"v":1}}`;
}

/** `value` as JSON text when it is flat, else undefined (the caller's general path takes it). */
export function flatJson(value: unknown): string | undefined {
  return writeFlat(value, false);
}

/** The JSON text of superjson's encoding of a flat value (`{"json":…,"meta":…}`), or undefined. */
export function superjsonFlatText(value: unknown): string | undefined {
  return writeFlat(value, true);
}
