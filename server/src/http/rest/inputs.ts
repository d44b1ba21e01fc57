/** Building a procedure's input from a REST request's parts. */

export const asObject = (body: unknown): Record<string, unknown> =>
  typeof body === 'object' && body !== null && !Array.isArray(body) ? { ...body } : {};

/** Query strings are text; the procedures take numbers where they mean numbers. */
export const withNumbers = (query: Record<string, string>, keys: string[]) =>
  Object.fromEntries(Object.entries(query).map(([key, value]) => [key, keys.includes(key) && /^\d+$/.test(value) ? Number(value) : value]));
