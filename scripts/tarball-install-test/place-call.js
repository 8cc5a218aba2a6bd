/*
 * docs/installation.md step 8.4: one SIPREC call with the recorder package's test
 * client (its `testing` entry point), run from the adopter's backend package so that
 * the package resolves from the installed tarball. 3 s of two tones, A-law.
 *
 *   node place-call.js <sip port> <recorded number> <other party>
 * Prints the SIP Call-ID on success; exits non-zero when the call is not answered 200.
 */
const {
  SrcClient,
  streamRtp,
  buildOfferSdp,
  buildMetadata,
  encodeAlaw,
} = require('@mvr/plugin-voice-recording-backend-module-siprec/testing');

const [port, recorded, other] = process.argv.slice(2);
const tone = (seconds, hz) =>
  Int16Array.from({ length: seconds * 8000 }, (_, i) =>
    Math.round(8000 * Math.sin((2 * Math.PI * hz * i) / 8000)),
  );

(async () => {
  const src = new SrcClient({
    host: '127.0.0.1',
    port: Number(port),
    transport: 'udp',
  });
  await src.start();
  try {
    const call = await src.invite({
      sdp: buildOfferSdp([
        { label: '1', port: 40000 },
        { label: '2', port: 40002 },
      ]),
      metadata: buildMetadata([
        { aor: `sip:${recorded}@pbx.example.com`, sends: '1' },
        { aor: `sip:${other}@carrier.example.net`, sends: '2' },
      ]),
    });
    const status = call.response && call.response.status;
    if (status !== 200) {
      const warning =
        call.response && call.response.headers
          ? JSON.stringify(call.response.headers)
          : '';
      throw new Error(`INVITE answered ${status} ${warning}`);
    }
    await Promise.all([
      streamRtp({
        port: call.mediaPorts[0],
        payload: encodeAlaw(tone(3, 440)),
        payloadType: 8,
      }),
      streamRtp({
        port: call.mediaPorts[1],
        payload: encodeAlaw(tone(3, 620)),
        payloadType: 8,
      }),
    ]);
    const bye = await src.bye(call);
    if (bye.status !== 200) throw new Error(`BYE answered ${bye.status}`);
    console.log(call.callId);
  } finally {
    await src.close();
  }
})().catch(error => {
  console.error(error);
  process.exit(1);
});
