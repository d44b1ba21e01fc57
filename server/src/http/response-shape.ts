import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';

let settled = false;

/**
 * Builds a few ServerResponses, once per process, before the server takes requests: V8 sizes a
 * constructor's objects from the first ones it builds (in-object slack tracking, seven
 * constructions). Our server builds only six before it idles (the start-up calls); a full garbage
 * collection with none of them alive then leaves V8 sizing every later response from an empty
 * shape: no property in the object, and Node's symbol-keyed stores on it (`res[kUniqueHeaders]`,
 * before the `request` event) turn it into a dictionary, ~3 KiB per held SSE response instead of
 * a few hundred bytes. Built here, the responses have their constructor's full shape when V8
 * decides (bench/README.md, issue 35; response-shape.test.ts reproduces it).
 */
export function settleResponseShape(): void {
  if (settled) return;
  settled = true;
  const request = new IncomingMessage(new Socket());
  request.method = 'GET';
  request.httpVersionMajor = 1;
  request.httpVersionMinor = 1;
  for (let i = 0; i < 16; i++) new ServerResponse(request);
}
