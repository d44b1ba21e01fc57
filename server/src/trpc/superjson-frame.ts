/**
 * superjson's framing of an input, checked before superjson decodes it. superjson trusts its
 * `meta`: a `meta.values` that is a string recurses until the stack overflows (tens of
 * milliseconds of CPU per call, seconds in a batch), and annotations naming Sets or Maps walk them
 * index by index. So the frame's shape is checked first, in one pass over it without recursion,
 * and only annotations our inputs can carry are accepted. Every refusal names the field and rule.
 */

/** Deeper than any of our inputs (≤ 8 levels) plus tRPC's batch and superjson envelopes. */
export const MAX_JSON_DEPTH = 32;

/** The types an input annotation may name: what our input schemas can take (docs/architecture.md). */
const INPUT_TYPES = new Set(['undefined', 'number', 'bigint', 'Date']);
/** Segments superjson refuses itself, with its own words: refused here first, with ours. */
const FORBIDDEN_SEGMENTS = new Set(['__proto__', 'prototype', 'constructor']);

const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Whether a parsed JSON value nests deeper than `max` levels (objects and arrays), walked without recursion. */
export function valueDepthExceeds(root: unknown, max: number): boolean {
  const stack: { value: unknown; depth: number }[] = [{ value: root, depth: 0 }];
  while (stack.length > 0) {
    const { value, depth } = stack.pop()!;
    if (typeof value !== 'object' || value === null) continue;
    if (depth + 1 > max) return true;
    for (const child of Array.isArray(value) ? value : Object.values(value)) {
      if (typeof child === 'object' && child !== null) stack.push({ value: child, depth: depth + 1 });
    }
  }
  return false;
}

/** A superjson path's segments (`a.b\.c` is two); undefined when it names a forbidden segment. */
function pathSegments(path: string): number | undefined {
  let segments = 1;
  let start = 0;
  for (let index = 0; index <= path.length; index++) {
    const char = path.charCodeAt(index);
    if (char === 0x5c)
      index++; // an escaped dot or backslash
    else if (char === 0x2e || index === path.length) {
      if (FORBIDDEN_SEGMENTS.has(path.slice(start, index))) return undefined;
      if (index < path.length) segments++;
      start = index + 1;
    }
  }
  return segments;
}

/** Checks one path of a frame's meta; a reason when it breaks a rule. */
function checkPath(field: string, path: string, depthSoFar: number): { depth: number } | { reason: string } {
  const segments = pathSegments(path);
  if (segments === undefined) return { reason: `${field}: a path may not name __proto__, prototype or constructor` };
  if (depthSoFar + segments > MAX_JSON_DEPTH) return { reason: `${field}: a path may be at most ${MAX_JSON_DEPTH} levels deep` };
  return { depth: depthSoFar + segments };
}

const VALUES = 'input.meta.values';
const TREE_RULE = `${VALUES}: must be superjson's annotation tree (an object of paths, or a [type, children?] pair)`;

/** `meta.values`: a tree of `{ path: node }` objects whose nodes are trees or `[type, children?]` pairs. */
function checkValues(values: unknown): string | undefined {
  const stack: { node: unknown; depth: number; level: number }[] = [{ node: values, depth: 0, level: 0 }];
  while (stack.length > 0) {
    const { node, depth, level } = stack.pop()!;
    if (level > MAX_JSON_DEPTH) return `${VALUES}: nests deeper than ${MAX_JSON_DEPTH} levels`;
    let children: unknown = node;
    if (Array.isArray(node)) {
      const [type, nested, ...rest] = node as unknown[];
      if (rest.length > 0 || typeof type !== 'string') return TREE_RULE;
      if (!INPUT_TYPES.has(type)) return `${VALUES}: inputs carry only these types: ${[...INPUT_TYPES].join(', ')}`;
      if (nested === undefined) continue;
      children = nested;
    }
    if (!isPlainObject(children)) return TREE_RULE;
    for (const [path, child] of Object.entries(children)) {
      const checked = checkPath(VALUES, path, depth);
      if ('reason' in checked) return checked.reason;
      stack.push({ node: child, depth: checked.depth, level: level + 1 });
    }
  }
  return undefined;
}

const EQUALITIES = 'input.meta.referentialEqualities';
const EQUALITIES_RULE = `${EQUALITIES}: must be superjson's map of paths to lists of paths`;

/** `meta.referentialEqualities`: `{ path: [paths] }`, or `[[paths]]` / `[[paths], { path: [paths] }]` for the root. */
function checkEqualities(equalities: unknown): string | undefined {
  const lists: unknown[] = [];
  const paths: unknown[] = [];
  if (Array.isArray(equalities)) {
    const [root, other, ...rest] = equalities as unknown[];
    if (rest.length > 0) return EQUALITIES_RULE;
    lists.push(root);
    if (other !== undefined) equalities = other;
    else equalities = {};
  }
  if (!isPlainObject(equalities)) return EQUALITIES_RULE;
  for (const [path, list] of Object.entries(equalities)) {
    paths.push(path);
    lists.push(list);
  }
  for (const list of lists) {
    if (!Array.isArray(list)) return EQUALITIES_RULE;
    paths.push(...(list as unknown[]));
  }
  for (const path of paths) {
    if (typeof path !== 'string') return EQUALITIES_RULE;
    const checked = checkPath(EQUALITIES, path, 0);
    if ('reason' in checked) return checked.reason;
  }
  return undefined;
}

/**
 * Why a tRPC input is not a superjson frame we decode, or undefined when it is one. The cost is one
 * pass over the frame, whatever it holds: nothing superjson would recurse on reaches it.
 */
export function superjsonFrameProblem(frame: unknown): string | undefined {
  if (!isPlainObject(frame)) return 'input: must be a superjson frame, an object { json, meta? }';
  if (valueDepthExceeds(frame, MAX_JSON_DEPTH)) return `input: nests deeper than ${MAX_JSON_DEPTH} levels`;
  const { meta } = frame;
  if (meta === undefined) return undefined;
  if (!isPlainObject(meta)) return 'input.meta: must be an object';
  if (meta.v !== undefined && meta.v !== 0 && meta.v !== 1) return 'input.meta.v: must be 0 or 1';
  return (
    (meta.values === undefined ? undefined : checkValues(meta.values)) ??
    (meta.referentialEqualities === undefined ? undefined : checkEqualities(meta.referentialEqualities))
  );
}
