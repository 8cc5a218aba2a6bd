/*
 * Child process for the kill -9 test: runs one CallSession (real RTP sockets, real
 * journal) until it is killed. stdout: "ready <conversationId> <port0> <port1>".
 * With a third argument `bye-then-hang`: the message "bye" (IPC) ends the call (BYE),
 * and the registration's `finish` never answers: it prints
 * "finishing <the registration's quality as JSON>" and waits to be killed.
 */
/* eslint-disable */
require('@backstage/cli/config/nodeTransform.cjs');
const { CallSession } = require('../CallSession.ts');
const { PortAllocator } = require('../../media/PortAllocator.ts');
const { LocalFileBlobStore } = require('../../storage/BlobStore.ts');

const logger = { info() {}, warn() {}, error() {}, debug() {}, child() { return logger; } };

async function main() {
  const [journalDir, archiveDir, mode] = process.argv.slice(2);
  const finish = mode === 'bye-then-hang'
    ? async (_id, input) => {
        process.stdout.write(`finishing ${JSON.stringify(input.quality)}\n`);
        return new Promise(() => {});
      }
    : async () => ({});
  const ports = new PortAllocator({ host: '127.0.0.1' });
  const sockets = new Map([[0, await ports.allocate()], [1, await ports.allocate()]]);
  const stream = (index, label) => ({
    index, media: 'audio', label, offeredPort: 40000 + index * 2, direction: 'sendonly',
    accepted: true, answerDirection: 'recvonly', local: { address: '127.0.0.1', port: sockets.get(index).port },
    remote: { port: 0 }, codec: { payloadType: 8, name: 'PCMA', clockRate: 8000, channels: 1 }, rtcpMux: false,
  });
  const ctx = {
    logger, config: { defaultCountry: 'BE', emergencyNumbers: [] }, policy: {},
    conversations: { begin: async i => i.id, update: async () => {}, finish, recordRefused: async () => ({}), activeCount: async () => 0, listInProgress: async () => [], get: async () => undefined },
  };
  const session = await CallSession.open(
    { ctx, blobStore: new LocalFileBlobStore(archiveDir, { minFreeBytes: 1 }), journalDir, archiveFormat: 'opus', instanceId: 'kill-test', logger, rtpTimeoutMs: 0 },
    {
      sipCallId: 'kill9@127.0.0.1',
      decision: {
        recordedNumber: { id: 'n1', number: '+32470000001', userRef: 'user:default/bob', mvrActive: true, settings: {} },
        participants: [], decision: { record: true, reason: 'recording', beep: false, message: '' },
      },
      streams: [stream(0, '1'), stream(1, '2')],
      sockets,
      startedAt: new Date(),
    },
  );
  process.stdout.write(`ready ${session.conversationId} ${sockets.get(0).port} ${sockets.get(1).port}\n`);
  process.on('message', m => {
    if (m === 'bye') session.end('bye').catch(e => process.stderr.write(String(e && e.stack ? e.stack : e)));
  });
  setInterval(() => {}, 1000);
}

main().catch(e => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
