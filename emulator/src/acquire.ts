import { randomBytes } from 'node:crypto';
import { invalid, isRecord, service } from './replies.js';
import { REGIONS, type Region, type Reply } from './types.js';
import { AcquireRequest, isValidChannelName, reasonFor, RecorderUid } from './validation.js';
import { activeCount, type World } from './world.js';

/** The region a new resource is served from: the one asked for, else the first the exclusions leave. */
function chooseRegion(world: World, asked: Region | undefined, exclude: string[] | undefined): Region {
  if (asked) return asked;
  const avoided = new Set((exclude ?? []).map((id) => world.resources.get(id)?.region).filter((region) => region !== undefined));
  return REGIONS.find((region) => !avoided.has(region)) ?? 'NA';
}

/** `POST …/acquire`: a resourceId for one start within five minutes. */
export function acquire(world: World, body: Record<string, unknown>): Reply {
  const { cname, uid } = body;
  const parsed = AcquireRequest.safeParse(body.clientRequest ?? {});
  if (!parsed.success) {
    // Agora's own wording for the one rule its pages quote.
    if (parsed.error.issues[0]?.path[0] === 'resourceExpiredHour') return invalid('Acquire: invalid resourceExpiredHour value!');
    return invalid(reasonFor(parsed.error));
  }
  const request = parsed.data;
  if (typeof cname !== 'string' || cname === '') return invalid('invalid parameter: cname must be a non-empty string');
  // Web mode's cname is only a label; individual/mix use the RTC channel rules.
  if (request.scene === 1 ? Buffer.byteLength(cname) > 1024 : !isValidChannelName(cname)) {
    return service(400, 401, 'invalid_channel_name');
  }
  const uidCheck = RecorderUid.safeParse(uid);
  if (!uidCheck.success) return invalid(`invalid parameter: ${uidCheck.error.issues[0]?.message ?? 'uid'}`);
  if (activeCount(world) >= world.limits.maxConcurrentRecordings) return service(400, 406, 'vendor_over_load');
  const resourceId = randomBytes(96).toString('base64url');
  world.resources.set(resourceId, {
    resourceId,
    cname,
    uid: uidCheck.data,
    scene: request.scene,
    createdAt: world.clock.now(),
    started: false,
    expiredHour: request.resourceExpiredHour,
    region: chooseRegion(world, request.region, request.excludeResourceIds),
    startParameter: isRecord(request.startParameter) ? request.startParameter : undefined,
  });
  return { status: 200, body: { cname, uid: uidCheck.data, resourceId } };
}
