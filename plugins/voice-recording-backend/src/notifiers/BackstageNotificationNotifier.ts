import { NotificationService } from '@backstage/plugin-notifications-node';
import {
  StatusChangeNotification,
  StatusChangeNotifier,
} from '@mvr/plugin-voice-recording-node';

/** Tells the number's user in Backstage's notifications (bell icon). */
export class BackstageNotificationNotifier implements StatusChangeNotifier {
  readonly id = 'backstage-notifications';

  constructor(private readonly notifications: NotificationService) {}

  async notify(n: StatusChangeNotification): Promise<void> {
    await this.notifications.send({
      recipients: { type: 'entity', entityRef: n.userRef },
      payload: {
        title: `Recording status of ${n.number} changed`,
        description: n.text,
        link: '/voice-recording',
        severity: 'normal',
        topic: 'voice-recording-status',
      },
    });
  }
}
