/**
 * What Agora's Cloud Recording error codes mean, and what a person can do about them.
 * @see https://docs.agora.io/en/cloud-recording/reference/rest-api/status-codes
 */
export const AGORA_CODE_MEANINGS: Record<number, { meaning: string; hint: string }> = {
  2: { meaning: 'invalid parameter', hint: 'a request field has the wrong type, spelling, case or range; the reason names it' },
  7: { meaning: 'already started', hint: 'this resourceId already served a start; acquire a new one to start again' },
  8: { meaning: 'invalid request', hint: 'bad header, URL, method or JSON' },
  49: { meaning: 'invalid operation', hint: 'the recording is already stopping or has exited' },
  50: { meaning: 'upload timeout', hint: 'the files did not finish uploading within about 20 s; they will keep uploading' },
  53: { meaning: 'task conflict', hint: 'a recording with this channel and uid is already running; use another uid' },
  62: { meaning: 'request timeout', hint: 'Agora did not finish in time; retry, and check that Cloud Recording is enabled for the App ID' },
  65: { meaning: 'request not completed', hint: 'network jitter inside Agora; retry with the same parameters' },
  109: { meaning: 'token expired', hint: "the recorder's RTC token expired; build a new one and start again" },
  110: { meaning: 'token invalid', hint: "the recorder's RTC token does not match the App ID, certificate, channel or uid" },
  400: { meaning: 'invalid App ID', hint: 'check AGORA_APP_ID' },
  401: { meaning: 'invalid channel name', hint: 'channel names are 1..63 bytes of letters, digits and a set of symbols' },
  404: { meaning: 'recording not found', hint: 'the recording ended, never started, or Agora is failing over' },
  405: { meaning: 'account abnormal', hint: 'the Agora project is suspended or restricted' },
  406: {
    meaning: 'concurrency quota exceeded',
    hint: 'too many recordings at once for this App ID; stop leaked ones or ask Agora for a higher quota',
  },
  432: { meaning: 'parameter mismatch', hint: "the App ID, channel or uid differs from the resourceId's; acquire again" },
  433: { meaning: 'resource expired', hint: 'a resourceId is valid for 5 minutes; acquire again' },
  435: { meaning: 'no recorded data', hint: 'nobody published in the channel, so no file was made' },
  500: { meaning: 'internal error', hint: 'retry later' },
  501: { meaning: 'service exiting', hint: 'the recording is ending' },
  502: { meaning: 'failed to allocate worker', hint: 'acquire and start again' },
  504: { meaning: 'allocate timeout', hint: 'retry later' },
  1001: { meaning: 'resourceId unparsable', hint: 'acquire again' },
  1003: { meaning: 'appid or sid mismatch', hint: 'the sid does not belong to this resourceId or App ID' },
  1013: { meaning: 'invalid channel name', hint: 'channel names are 1..63 bytes of letters, digits and a set of symbols' },
  1028: { meaning: 'invalid updateLayout body', hint: 'check the layout parameters' },
};
