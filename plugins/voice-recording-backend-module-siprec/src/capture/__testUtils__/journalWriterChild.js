/*
 * Child process for the kill -9 test: writes a call journal in real time
 * (one 20 ms frame per channel every 20 ms, 1 s flush) until it is killed.
 * stdout lines: "ready <path>", "appended <sampleEnd>", "flushed <sampleEnd>".
 * Frame content is a function of the offset so the parent can verify payloads.
 * argv: <dir> <flushMs> [file|group]: group = flushed by a JournalSyncGroup (one syncfs
 * per tick, the recorder's default), file = its own timer and O_DSYNC writes.
 */
/* eslint-disable */
require('@backstage/cli/config/nodeTransform.cjs');
const { CallJournal } = require('../CallJournal.ts');

function frame(offset) {
  const pcm = new Int16Array(160);
  for (let i = 0; i < 160; i++) pcm[i] = ((offset + i) * 37) % 20000 - 10000;
  const ulaw = new Uint8Array(160);
  for (let i = 0; i < 160; i++) ulaw[i] = (offset / 160 + i) & 0xff;
  return { pcm, ulaw };
}

async function main() {
  const [dir, flushMs, mode] = process.argv.slice(2);
  let syncGroup;
  if (mode === 'group') {
    const { JournalSyncGroup } = require('../JournalSyncGroup.ts');
    const { mvrRtpAddon, nativeRtpLoadError } = require('../../media/nativeRtp.ts');
    const addon = mvrRtpAddon();
    if (!addon || !addon.syncfs) throw new Error(`no native syncfs here: ${nativeRtpLoadError()}`);
    syncGroup = new JournalSyncGroup({ dir, flushIntervalMs: Number(flushMs), syncfs: fd => addon.syncfs(fd) });
  }
  const journal = await CallJournal.create(
    dir,
    {
      callId: 'kill-test@example.com',
      channels: [
        { index: 0, role: 'recorded', encoding: 'pcm16' },
        { index: 1, role: 'other', encoding: 'pcmu' },
      ],
    },
    { flushIntervalMs: Number(flushMs), syncGroup },
  );
  process.stdout.write(`ready ${journal.path}\n`);
  const start = Date.now();
  let offset = 0;
  let lastFlushed = 0;
  setInterval(() => {
    // real time: catch up with the wall clock if the event loop was late
    const due = Math.floor((Date.now() - start) / 20) * 160;
    while (offset <= due) {
      const f = frame(offset);
      journal.appendAudio(0, offset, f.pcm);
      journal.appendAudio(1, offset, f.ulaw);
      offset += 160;
    }
    process.stdout.write(`appended ${offset}\n`);
    if (journal.flushedSampleEnd !== lastFlushed) {
      lastFlushed = journal.flushedSampleEnd;
      process.stdout.write(`flushed ${lastFlushed}\n`);
    }
  }, 20);
}

main().catch(e => {
  process.stderr.write(String(e && e.stack ? e.stack : e));
  process.exit(1);
});
