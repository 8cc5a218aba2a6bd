import { Route, Routes } from 'react-router-dom';
import { Alert } from '@backstage/ui';
import { useRouteRef } from '@backstage/frontend-plugin-api';
import { rootRouteRef, TAB_PATHS } from '../../routes';
import { RecordingHealthPage } from './RecordingHealthPage';
import { NumberHealthPage } from './NumberHealthPage';

function withPeriod(path: string, period: { from?: string; to?: string }) {
  const params = new URLSearchParams();
  if (period.from) params.set('from', period.from);
  if (period.to) params.set('to', period.to);
  const qs = params.toString();
  return qs ? `${path}?${qs}` : path;
}

/**
 * The Recording health section (`health`, `health/numbers/:id`), for those who may
 * read it (`voice-recording.health.read`, admins); anybody else who opens its URL (an
 * alarm's link forwarded to them) is told it is not for them.
 */
export function RecordingHealthSection(props: { allowed: boolean }) {
  const root = useRouteRef(rootRouteRef);
  const base = `${(root?.() ?? '/voice-recording').replace(/\/$/, '')}`;
  const health = `${base}/${TAB_PATHS.health}`;

  if (!props.allowed) {
    return (
      <Alert
        status="warning"
        icon
        data-testid="health-not-allowed"
        title="Recording health is for compliance administrators: you are not allowed to see it."
      />
    );
  }
  return (
    <Routes>
      <Route
        index
        element={
          <RecordingHealthPage
            numberHref={(id, period) =>
              withPeriod(`${health}/numbers/${encodeURIComponent(id)}`, period)
            }
          />
        }
      />
      <Route
        path="numbers/:id"
        element={
          <NumberHealthPage
            overviewHref={period => withPeriod(health, period)}
            conversationsHref={query =>
              `${base}/${TAB_PATHS.conversations}?${query}`
            }
            numberHref={id =>
              `${base}/${TAB_PATHS.numbers}/${encodeURIComponent(id)}`
            }
          />
        }
      />
    </Routes>
  );
}
