import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { renderInTestApp } from '@backstage/frontend-test-utils';
import { useLocation } from 'react-router-dom';
import { VoiceRecordingTabs } from './VoiceRecordingTabs';

function Where() {
  return <div data-testid="where">{useLocation().pathname}</div>;
}

const TABS = [
  { path: 'numbers', label: 'Numbers' },
  { path: 'my-numbers', label: 'My numbers' },
  { path: 'conversations', label: 'Conversations' },
];

function render(at: string) {
  return renderInTestApp(
    <>
      <VoiceRecordingTabs basePath="/voice-recording/" tabs={TABS} />
      <Where />
    </>,
    { mountPath: '/voice-recording/*', initialRouteEntries: [at] },
  );
}

describe('VoiceRecordingTabs', () => {
  it('are links to the sections, in a tab list named "Voice recording sections"', async () => {
    await render('/voice-recording/conversations');
    const list = screen.getByRole('tablist', {
      name: 'Voice recording sections',
    });
    const tabs = within(list).getAllByRole('tab');
    expect(tabs.map(t => t.textContent)).toEqual([
      'Numbers',
      'My numbers',
      'Conversations',
    ]);
    expect(screen.getByRole('tab', { name: 'My numbers' })).toHaveAttribute(
      'href',
      '/voice-recording/my-numbers',
    );
    await waitFor(() =>
      expect(
        screen.getByRole('tab', { name: 'Conversations' }),
      ).toHaveAttribute('aria-selected', 'true'),
    );
  });

  it('selects the section of a detail page and navigates on click', async () => {
    await render('/voice-recording/numbers/42');
    await waitFor(() =>
      expect(screen.getByRole('tab', { name: 'Numbers' })).toHaveAttribute(
        'aria-selected',
        'true',
      ),
    );
    expect(screen.getByRole('tab', { name: 'My numbers' })).toHaveAttribute(
      'aria-selected',
      'false',
    );

    await userEvent.click(screen.getByRole('tab', { name: 'Conversations' }));
    await waitFor(() =>
      expect(screen.getByTestId('where')).toHaveTextContent(
        '/voice-recording/conversations',
      ),
    );
    await waitFor(() =>
      expect(
        screen.getByRole('tab', { name: 'Conversations' }),
      ).toHaveAttribute('aria-selected', 'true'),
    );
  });

  it("shows the section in the selected tab's panel, which the tab controls", async () => {
    await renderInTestApp(
      <VoiceRecordingTabs basePath="/voice-recording/" tabs={TABS}>
        <p>Section content</p>
      </VoiceRecordingTabs>,
      {
        mountPath: '/voice-recording/*',
        initialRouteEntries: ['/voice-recording/conversations/7'],
      },
    );
    const tab = screen.getByRole('tab', { name: 'Conversations' });
    expect(tab).toHaveAttribute('aria-selected', 'true');
    const panel = screen.getByRole('tabpanel', { name: 'Conversations' });
    expect(tab).toHaveAttribute('aria-controls', panel.id);
    expect(within(panel).getByText('Section content')).toBeInTheDocument();
  });

  it('after a click on another tab, that tab controls the panel shown (its id follows the section)', async () => {
    await renderInTestApp(
      <VoiceRecordingTabs basePath="/voice-recording/" tabs={TABS}>
        <p>Section content</p>
      </VoiceRecordingTabs>,
      {
        mountPath: '/voice-recording/*',
        initialRouteEntries: ['/voice-recording/numbers'],
      },
    );
    await userEvent.click(screen.getByRole('tab', { name: 'Conversations' }));
    const tab = screen.getByRole('tab', { name: 'Conversations' });
    await waitFor(() => expect(tab).toHaveAttribute('aria-selected', 'true'));
    const panel = screen.getByRole('tabpanel');
    expect(tab).toHaveAttribute('aria-controls', panel.id);
    expect(panel).toHaveAccessibleName('Conversations');
  });

  it('shows a page of no tab without a selected tab (no tab controls a missing panel)', async () => {
    await renderInTestApp(
      <VoiceRecordingTabs
        basePath="/voice-recording/"
        tabs={TABS.filter(t => t.path !== 'numbers')}
      >
        <p>Section content</p>
      </VoiceRecordingTabs>,
      {
        mountPath: '/voice-recording/*',
        initialRouteEntries: ['/voice-recording/numbers/42'],
      },
    );
    expect(screen.getByText('Section content')).toBeInTheDocument();
    expect(screen.queryByRole('tabpanel')).toBeNull();
    for (const tab of screen.getAllByRole('tab')) {
      expect(tab).toHaveAttribute('aria-selected', 'false');
      expect(tab).not.toHaveAttribute('aria-controls');
    }
  });
});
