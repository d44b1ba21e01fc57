#!/usr/bin/env bash
# Makes the emulator's media once: a test pattern (SMPTE colour bars and a 1 kHz tone)
# as the MPEG-TS segments, MP4 and JPEG it copies into recordings. The outputs are committed
# (emulator/media/, well under 1 MB), so nothing encodes video at run time and this script is
# needed only to change them. It needs ffmpeg with libx264 (Debian: apt-get install ffmpeg).
#
# One segment lasts exactly SEGMENT_SECONDS (the emulator's segment length) and starts with a key
# frame, so a playlist of repeated copies plays (the playlist marks each copy a discontinuity).
set -euo pipefail
cd "$(dirname "$0")/../media"

SEGMENT_SECONDS=10
FPS=15
SIZE=320x180
video=(-f lavfi -i "smptebars=size=${SIZE}:rate=${FPS}:duration=${SEGMENT_SECONDS}")
audio=(-f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=${SEGMENT_SECONDS}")
h264=(-c:v libx264 -preset veryslow -crf 32 -pix_fmt yuv420p -g $((FPS * SEGMENT_SECONDS)) -keyint_min $((FPS * SEGMENT_SECONDS)) -sc_threshold 0 -bf 0)
aac=(-c:a aac -b:a 32k -ac 1)
common=(-hide_banner -loglevel error -y)
out=(-map_metadata -1 -fflags +bitexact -flags:v +bitexact -flags:a +bitexact)

ffmpeg "${common[@]}" "${video[@]}" "${audio[@]}" "${h264[@]}" "${aac[@]}" "${out[@]}" -f mpegts segment-audio-video.ts
ffmpeg "${common[@]}" "${video[@]}" "${h264[@]}" "${out[@]}" -f mpegts segment-video.ts
ffmpeg "${common[@]}" "${audio[@]}" "${aac[@]}" "${out[@]}" -f mpegts segment-audio.ts
# The MP4 is one fragment of MP4_SECONDS (a whole number of AAC frames at 48 kHz: 750), which the
# emulator repeats to the recording's length (src/mp4.ts).
MP4_SECONDS=16
mp4_video=(-f lavfi -i "smptebars=size=${SIZE}:rate=${FPS}:duration=${MP4_SECONDS}")
mp4_audio=(-f lavfi -i "sine=frequency=1000:sample_rate=48000:duration=${MP4_SECONDS}")
mp4_h264=(-c:v libx264 -preset veryslow -crf 32 -pix_fmt yuv420p -g $((FPS * MP4_SECONDS)) -keyint_min $((FPS * MP4_SECONDS)) -sc_threshold 0 -bf 0)
ffmpeg "${common[@]}" "${mp4_video[@]}" "${mp4_audio[@]}" "${mp4_h264[@]}" "${aac[@]}" "${out[@]}" -movflags +frag_keyframe+empty_moov+default_base_moof recording.mp4
ffmpeg "${common[@]}" -f lavfi -i "smptebars=size=${SIZE}" -frames:v 1 -q:v 4 "${out[@]}" snapshot.jpg
ls -l
