/*
 * One recorded two-party call as the backend process tests place it with the SIPREC
 * module's test Session Recording Client: the recorded number talks to another party,
 * each sending its own tone (440 Hz and 620 Hz, A-law) for two seconds.
 */
import {
  SrcClient,
  buildMetadata,
  buildOfferSdp,
  encodeAlaw,
  streamRtp,
} from '@mvr/plugin-voice-recording-backend-module-siprec/testing';
import { tone } from './backendProcess';

/** INVITE of a call of `recorded` (label 1, RTP from port 40000) with `other` (label 2, 40002). */
export function inviteRecordedCall(
  udp: SrcClient,
  recorded: string,
  other: string,
) {
  return udp.invite({
    sdp: buildOfferSdp([
      { label: '1', port: 40000 },
      { label: '2', port: 40002 },
    ]),
    metadata: buildMetadata([
      { aor: `sip:${recorded}@pbx.example.com`, sends: '1' },
      { aor: `sip:${other}@carrier.example.net`, sends: '2' },
    ]),
  });
}

/**
 * Both parties' media to the recorder's ports: 2 s of 440 Hz from the recorded number,
 * 2 s of 620 Hz from the other party; `dropRecorded` packets of the first left out.
 */
export function streamTwoTones(
  call: { mediaPorts: number[] },
  options: { dropRecorded?: Set<number> } = {},
) {
  return Promise.all([
    streamRtp({
      port: call.mediaPorts[0],
      payload: encodeAlaw(tone(2, 440)),
      payloadType: 8,
      ...(options.dropRecorded ? { drop: options.dropRecorded } : {}),
    }),
    streamRtp({
      port: call.mediaPorts[1],
      payload: encodeAlaw(tone(2, 620)),
      payloadType: 8,
    }),
  ]);
}
