import { AudioIndexEntry, QualityCounters } from '../capture/CallJournal';
import { audioIssuesOf, undecodablePayloads } from './audioIssues';
import { journalQuality } from './quality';

const frame = (channel: number, samples: number): AudioIndexEntry => ({
  channel,
  encoding: 'pcma',
  offsetSamples: 0,
  samples,
  filePos: 0,
  byteLength: samples,
});

/** The figures a journal holds at the end of a call (the final record of each channel). */
const figures = (...channels: QualityCounters[]) => journalQuality({ quality: channels.map(c => ({ ...c, final: true })) });

describe('audioIssuesOf', () => {
  it('no audio frame and no packet: no-media (also without any figures, a call cut before its first flush)', () => {
    expect(audioIssuesOf({ audio: [] }, figures({ channel: 0, packetsReceived: 0 }, { channel: 1, packetsReceived: 0 }))).toEqual(['no-media']);
    expect(audioIssuesOf({ audio: [] }, undefined)).toEqual(['no-media']);
  });

  it('no audio frame, packets in undecodable codecs: undecodable-codec, from the aggregate or the channels', () => {
    const q = figures(
      { channel: 0, packetsReceived: 100, audioPackets: 0, undecodable: { 18: 100 } },
      { channel: 1, packetsReceived: 80, audioPackets: 0, undecodable: { 2: 50, 97: 30 } },
    )!;
    expect(q.undecodable).toEqual([
      { payloadType: 2, codec: 'G721', packets: 50 },
      { payloadType: 18, codec: 'G729', packets: 100 },
      { payloadType: 97, packets: 30 },
    ]);
    expect(audioIssuesOf({ audio: [] }, q)).toEqual(['undecodable-codec']);
    const { undecodable: _aggregate, ...channelsOnly } = q;
    expect(audioIssuesOf({ audio: [] }, channelsOnly)).toEqual(['undecodable-codec']);
  });

  it('audio in the journal: nothing, whatever else came', () => {
    const q = figures({ channel: 0, packetsReceived: 60, audioPackets: 50, undecodable: { 18: 10 } });
    expect(audioIssuesOf({ audio: [frame(0, 160)] }, q)).toEqual([]);
  });

  it('packets without audio by design (telephone-events, comfort noise only): nothing', () => {
    const q = figures({ channel: 0, packetsReceived: 40, audioPackets: 0, comfortNoise: 30, dtmfEvents: 1 });
    expect(audioIssuesOf({ audio: [] }, q)).toEqual([]);
  });

  it('ignores figures that are not counts', () => {
    expect(undecodablePayloads([{ undecodable: { x: 3, 18: -1, 2: 'many' } }, null, { undecodable: 'no' }])).toEqual([]);
  });
});
