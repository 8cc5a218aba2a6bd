import { ReactNode } from 'react';
import { Alert } from '@backstage/ui';

/** What an action achieved, next to it (announced politely: role "status"). */
export function SuccessAlert(props: { children: ReactNode }) {
  return (
    <Alert
      status="success"
      icon
      role="status"
      data-testid="success-alert"
      title={props.children}
    />
  );
}
