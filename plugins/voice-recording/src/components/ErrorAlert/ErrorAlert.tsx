import { Alert } from '@backstage/ui';
import { errorMessage } from '../../api/errors';

/** Shows the backend's error message (not the generic "Request failed with 400"). */
export function ErrorAlert(props: { error?: unknown; title?: string }) {
  if (!props.error) return null;
  return (
    <Alert
      status="danger"
      icon
      role="alert"
      data-testid="error-alert"
      title={`${props.title ? `${props.title}: ` : ''}${errorMessage(
        props.error,
      )}`}
    />
  );
}
