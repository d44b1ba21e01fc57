/**
 * MP4s of any length from one pre-made fragmented clip (`media/recording.mp4`: ftyp + moov, then
 * one moof + mdat holding the whole clip). Repeating the fragment with its sequence number and
 * each track's decode time moved on by one clip length makes a valid, longer file: no media is
 * encoded, only a few header fields are rewritten.
 */

interface Box {
  type: string;
  start: number;
  end: number;
  /** Where its payload starts (after the size and type, and the 64-bit size if any). */
  body: number;
}

function boxesIn(bytes: Buffer, start: number, end: number): Box[] {
  const boxes: Box[] = [];
  for (let offset = start; offset + 8 <= end;) {
    let size = bytes.readUInt32BE(offset);
    let body = offset + 8;
    if (size === 1) {
      size = Number(bytes.readBigUInt64BE(offset + 8));
      body += 8;
    }
    if (size < 8 || offset + size > end) throw new Error(`bad MP4 box at ${offset}`);
    boxes.push({ type: bytes.toString('latin1', offset + 4, offset + 8), start: offset, end: offset + size, body });
    offset += size;
  }
  return boxes;
}

const child = (bytes: Buffer, box: Box, type: string) => boxesIn(bytes, box.body, box.end).find((candidate) => candidate.type === type);
const children = (bytes: Buffer, box: Box, type: string) =>
  boxesIn(bytes, box.body, box.end).filter((candidate) => candidate.type === type);
const need = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`the MP4 clip has no ${what}`);
  return value;
};

export interface Mp4Clip {
  /** ftyp + moov. */
  init: Buffer;
  /** moof + mdat. */
  fragment: Buffer;
  /** Where, in `fragment`, mfhd's sequence number is. */
  sequenceAt: number;
  /** Each track's tfdt in `fragment`: where its decode time is, its width, and one clip length in the track's timescale. */
  decodeTimes: { at: number; wide: boolean; step: bigint }[];
}

/** Reads a fragmented clip of `seconds` seconds (one fragment) for repeating. */
export function readClip(bytes: Buffer, seconds: number): Mp4Clip {
  const top = boxesIn(bytes, 0, bytes.length);
  const moov = need(
    top.find((box) => box.type === 'moov'),
    'moov',
  );
  const moof = need(
    top.find((box) => box.type === 'moof'),
    'moof',
  );
  const mdat = need(
    top.find((box) => box.type === 'mdat' && box.start > moof.start),
    'mdat after its moof',
  );
  if (top.filter((box) => box.type === 'moof').length !== 1) throw new Error('the MP4 clip must be one fragment');
  const timescales = new Map<number, number>();
  for (const trak of children(bytes, moov, 'trak')) {
    const tkhd = need(child(bytes, trak, 'tkhd'), 'tkhd');
    const mdhd = need(child(bytes, need(child(bytes, trak, 'mdia'), 'mdia'), 'mdhd'), 'mdhd');
    const trackId = bytes.readUInt32BE(tkhd.body + (bytes[tkhd.body] === 1 ? 20 : 12));
    timescales.set(trackId, bytes.readUInt32BE(mdhd.body + (bytes[mdhd.body] === 1 ? 20 : 12)));
  }
  const mfhd = need(child(bytes, moof, 'mfhd'), 'mfhd');
  const decodeTimes = children(bytes, moof, 'traf').map((traf) => {
    const trackId = bytes.readUInt32BE(need(child(bytes, traf, 'tfhd'), 'tfhd').body + 4);
    const tfdt = need(child(bytes, traf, 'tfdt'), 'tfdt');
    const timescale = need(timescales.get(trackId), `timescale of track ${trackId}`);
    return { at: tfdt.body + 4 - moof.start, wide: bytes[tfdt.body] === 1, step: BigInt(Math.round(seconds * timescale)) };
  });
  const init = Buffer.concat(
    top.filter((box) => box.type === 'ftyp' || box.type === 'moov').map((box) => bytes.subarray(box.start, box.end)),
  );
  return { init, fragment: bytes.subarray(moof.start, mdat.end), sequenceAt: mfhd.body + 4 - moof.start, decodeTimes };
}

/** The clip played `count` times in a row, as one MP4. */
export function repeatClip(clip: Mp4Clip, count: number): Buffer {
  const parts = [clip.init];
  for (let index = 0; index < count; index++) {
    const fragment = Buffer.from(clip.fragment);
    fragment.writeUInt32BE(index + 1, clip.sequenceAt);
    for (const time of clip.decodeTimes) {
      if (time.wide) fragment.writeBigUInt64BE(fragment.readBigUInt64BE(time.at) + time.step * BigInt(index), time.at);
      else fragment.writeUInt32BE(Number(BigInt(fragment.readUInt32BE(time.at)) + time.step * BigInt(index)), time.at);
    }
    parts.push(fragment);
  }
  return Buffer.concat(parts);
}
