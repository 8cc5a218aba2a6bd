import { Flex } from '@backstage/ui';
import { FourEyesConfirmations } from './FourEyesConfirmations';
import { FourEyesUsers } from './FourEyesUsers';

/**
 * The Four-eyes tab (`/voice-recording/four-eyes`, the link of the observers'
 * notifications): the confirmations the signed-in user may give, and for admins the
 * flagged users.
 */
export function FourEyesPage(props: { canManage: boolean }) {
  return (
    <Flex direction="column" gap="4">
      <FourEyesConfirmations />
      {props.canManage && <FourEyesUsers />}
    </Flex>
  );
}
