import { configure, screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { mockApis, renderInTestApp } from '@backstage/frontend-test-utils';
import type {
  ConversationSignatures,
  IntegrityStatus,
  RecordingVerification,
} from '../../api/integrity';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { responseError } from '../../testUtils/fixtures';
import { catalogApis, catalogRoutes } from '../../testUtils/catalog';
import { rootRouteRef } from '../../routes';
import { IntegrityPage } from './IntegrityPage';
import { RecordingSignatureStatus } from './RecordingSignatureStatus';

configure({ asyncUtilTimeout: 5000 });
jest.setTimeout(30000);

const ALLOW = 'ALLOW' as any;
const PEM =
  '-----BEGIN PUBLIC KEY-----\nMCowBQYDK2VwAyEAabcdefabcdefabcdefabcdefabcdefabcdefabcdefabc=\n-----END PUBLIC KEY-----\n';
const CONV = '11111111-1111-4111-8111-111111111111';

const status = (extra: Partial<IntegrityStatus> = {}): IntegrityStatus => ({
  keyId: '0123456789abcdef',
  algorithm: 'Ed25519',
  publicKeyPem: PEM,
  sweep: { share: 0.05, frequency: 'every 24 hours', enabled: true },
  archived: 120,
  signed: 119,
  verified: 40,
  lastSweep: {
    id: 's1',
    startedAt: '2026-12-06T02:00:00.000Z',
    finishedAt: '2026-12-06T02:00:05.000Z',
    state: 'done',
    checked: 6,
    ok: 4,
    mismatches: 1,
    missing: 0,
    signed: 1,
    bytes: 1000,
  },
  problems: [
    {
      conversationId: CONV,
      checkedAt: '2026-12-06T02:00:03.000Z',
      outcome: 'mismatch',
      message:
        "the stored archive's SHA-256 aa is not the registered bb (altered)",
      sweepId: 's1',
      number: '+32470123456',
      userRef: 'user:default/bob',
      startedAt: '2026-12-01T09:00:00.000Z',
    },
  ],
  ...extra,
});

function render(node: JSX.Element, api: Record<string, jest.Mock>) {
  renderInTestApp(node, {
    apis: [
      ...catalogApis(),
      [voiceRecordingApiRef, api],
      mockApis.permission({ authorize: ALLOW }),
    ],
    mountedRoutes: { ...catalogRoutes, '/voice-recording': rootRouteRef },
  });
}

describe('IntegrityPage', () => {
  it('shows the key, the sweep figures and the failing recordings, people by name', async () => {
    render(<IntegrityPage />, {
      getIntegrityStatus: jest.fn(async () => status()),
    });
    expect(await screen.findByTestId('signing-key-id')).toHaveTextContent(
      'Ed25519 key 0123456789abcdef',
    );
    expect(screen.getByTestId('signing-public-key')).toHaveTextContent(
      'BEGIN PUBLIC KEY',
    );
    expect(screen.getByTestId('sweep-settings')).toHaveTextContent(
      'Re-hashes 5 % of the archive every 24 hours.',
    );
    expect(screen.getByTestId('figure-archived')).toHaveTextContent('120');
    expect(screen.getByTestId('figure-problems')).toHaveTextContent('1');
    expect(screen.getByTestId('last-sweep')).toHaveTextContent(
      '6 re-hashed, 4 intact, 1 altered, 0 missing, 1 signed late',
    );
    const table = screen.getByRole('grid', {
      name: 'Recordings failing verification',
    });
    expect(within(table).getByTestId(`problem-${CONV}`)).toHaveAttribute(
      'href',
      `/voice-recording/conversations/${CONV}`,
    );
    expect(table).toHaveTextContent('Altered: hash mismatch');
    expect(table).toHaveTextContent('not the registered bb (altered)');
    await waitFor(() =>
      expect(
        within(table).getByRole('link', { name: 'Bob Peeters' }),
      ).toBeVisible(),
    );
    expect(table).not.toHaveTextContent('user:default/bob');
  });

  it('downloads the public key and runs a sweep now', async () => {
    const blob = new Blob([PEM]);
    const api = {
      getIntegrityStatus: jest.fn(async () => status({ problems: [] })),
      downloadSigningKey: jest.fn(async () => ({ blob, fileName: 'k.pem' })),
      runIntegritySweep: jest.fn(async () => ({
        ...status().lastSweep!,
        id: 's2',
        checked: 7,
        mismatches: 0,
      })),
    };
    const createObjectURL = jest.fn(() => 'blob:key');
    (URL as any).createObjectURL = createObjectURL;
    (URL as any).revokeObjectURL = jest.fn();
    render(<IntegrityPage />, api);
    expect(
      await screen.findByText('None: every verified recording is intact.'),
    ).toBeVisible();
    await userEvent.click(
      screen.getByRole('button', { name: 'Download public key' }),
    );
    await waitFor(() => expect(api.downloadSigningKey).toHaveBeenCalled());
    expect(createObjectURL).toHaveBeenCalledWith(blob);
    await userEvent.click(
      screen.getByRole('button', { name: 'Run sweep now' }),
    );
    expect(
      await screen.findByText(/Integrity sweep done: .*7 re-hashed/),
    ).toBeVisible();
    expect(api.getIntegrityStatus).toHaveBeenCalledTimes(2);
  });

  it("says why it is not shown (a non-admin's 403)", async () => {
    render(<IntegrityPage />, {
      getIntegrityStatus: jest.fn(async () => {
        throw await responseError(
          403,
          'NotAllowedError',
          'user:default/bob is not allowed: voice-recording.compliance.manage',
        );
      }),
    });
    expect(await screen.findByTestId('error-alert')).toHaveTextContent(
      /Integrity not shown: .*not allowed/,
    );
  });
});

describe('RecordingSignatureStatus', () => {
  const signatures = (n: number): ConversationSignatures => ({
    conversationId: CONV,
    keyId: '0123456789abcdef',
    signatures: Array.from({ length: n }, (_, i) => ({
      id: `sig-${i}`,
      conversationId: CONV,
      keyId: '0123456789abcdef',
      payload: '{}',
      signature: 'c2ln',
      signedAt: '2026-12-01T09:01:00.000Z',
      ...(i === 0 && n > 1 ? { replacesId: 'sig-1' } : {}),
    })),
  });
  const verification = (
    extra: Partial<RecordingVerification>,
  ): RecordingVerification => ({
    conversationId: CONV,
    ok: true,
    outcome: 'ok',
    keyId: '0123456789abcdef',
    sha256: 'ab'.repeat(32),
    expectedSha256: 'ab'.repeat(32),
    problems: [],
    checkedAt: '2026-12-06T08:00:00.000Z',
    ...extra,
  });

  it('shows the signature with its key id and verifies on request', async () => {
    const api = {
      getConversationSignatures: jest.fn(async () => signatures(2)),
      verifyConversation: jest.fn(async () => verification({})),
    };
    render(<RecordingSignatureStatus conversationId={CONV} />, api);
    expect(await screen.findByTestId('signature-state')).toHaveTextContent(
      /^Signed with key 0123456789abcdef on /,
    );
    expect(
      screen.getByRole('group', { name: 'Recording signature' }),
    ).toHaveTextContent('re-encoded: replaces an earlier signed archive');
    await userEvent.click(screen.getByRole('button', { name: 'Verify now' }));
    expect(api.verifyConversation).toHaveBeenCalledWith(CONV);
    expect(await screen.findByRole('status')).toHaveTextContent(
      'Verified: the stored archive (SHA-256 abababababababab…) is intact and its signature is valid.',
    );
  });

  it('says why a verification failed, and when a recording is not signed yet', async () => {
    render(<RecordingSignatureStatus conversationId={CONV} />, {
      getConversationSignatures: jest.fn(async () => signatures(0)),
      verifyConversation: jest.fn(async () =>
        verification({
          ok: false,
          outcome: 'missing',
          problems: ["the archive's file is missing from the storage (x.ogg)"],
        }),
      ),
    });
    expect(await screen.findByTestId('signature-state')).toHaveTextContent(
      'Not signed yet',
    );
    await userEvent.click(screen.getByRole('button', { name: 'Verify now' }));
    expect(await screen.findByRole('status')).toHaveTextContent(
      "File missing: the archive's file is missing from the storage (x.ogg)",
    );
  });
});
