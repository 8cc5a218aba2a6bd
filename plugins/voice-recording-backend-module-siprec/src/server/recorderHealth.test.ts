import {
  RecorderHealthInput,
  STORAGE_PROBE_STALE_MS,
  recorderHealth,
} from './recorderHealth';

const NOW = 1_000_000;
const healthy: RecorderHealthInput = {
  started: true,
  stopping: false,
  transports: [
    { name: 'udp', listening: true },
    { name: 'tcp', listening: true },
  ],
  databaseDown: false,
  storage: { ok: true, checkedAt: NOW - 500 },
  now: NOW,
};

describe('recorderHealth', () => {
  it('is ok when started, listening, with the database up and a recent good storage probe', () => {
    expect(recorderHealth(healthy)).toEqual({ ok: true, reasons: [] });
  });

  it.each<[string, Partial<RecorderHealthInput>, string[]]>([
    ['not started', { started: false, storage: undefined }, ['starting']],
    ['stopping', { stopping: true }, ['draining']],
    [
      'a transport not listening',
      {
        transports: [
          { name: 'udp', listening: true },
          { name: 'tcp', listening: false },
        ],
      },
      ['sip-not-listening'],
    ],
    ['the database down', { databaseDown: true }, ['database-down']],
    [
      'the disk below the free-space floor',
      { storage: { ok: false, code: 'ENOSPC', checkedAt: NOW } },
      ['storage-full'],
    ],
    [
      'the disk unwritable',
      { storage: { ok: false, code: 'EROFS', checkedAt: NOW } },
      ['storage-unwritable'],
    ],
    ['no storage probe yet', { storage: undefined }, ['storage-unresponsive']],
    [
      'a stalled storage probe',
      { storage: { ok: true, checkedAt: NOW - STORAGE_PROBE_STALE_MS - 1 } },
      ['storage-unresponsive'],
    ],
    [
      'draining with the database down',
      { stopping: true, databaseDown: true },
      ['draining', 'database-down'],
    ],
  ])('says 503 when %s', (_what, change, reasons) => {
    expect(recorderHealth({ ...healthy, ...change })).toEqual({
      ok: false,
      reasons,
    });
  });
});
