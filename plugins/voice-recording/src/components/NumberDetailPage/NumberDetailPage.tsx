import { useEffect, useId, useState } from 'react';
import { useParams } from 'react-router-dom';
import useAsync from 'react-use/esm/useAsync';
import {
  Alert,
  Card,
  CardBody,
  Flex,
  Grid,
  Link,
  Skeleton,
  Text,
} from '@backstage/ui';
import { useApi, useRouteRef } from '@backstage/frontend-plugin-api';
import { rootRouteRef, TAB_PATHS } from '../../routes';
import type { RecordedNumberWithStatus } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { errorStatus } from '../../api/errors';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { StatusBadge } from '../StatusBadge/StatusBadge';
import { PersonName } from '../PersonName/PersonName';
import { WeekGrid } from '../WeekGrid/WeekGrid';
import {
  RecordingRule,
  recordingRuleKind,
} from '../RecordingRule/RecordingRule';
import { NumberSettingsForm } from './NumberSettingsForm';
import { SlotList } from './SlotList';
import { DeleteNumberButton } from './DeleteNumberButton';
import { AddSlotForm } from './AddSlotForm';
import { ApplyPlanningModelForm } from './ApplyPlanningModelForm';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

type SectionName = 'settings' | 'schedule';

/** The outcome of the last action, shown in the section whose action raised it. */
interface Outcome {
  section: SectionName;
  error?: unknown;
  notice?: string;
}

/**
 * A titled section (a region named by its heading); its action's message is shown at
 * its end and any change in its fields (a bubbling change event, or `onEdit` called
 * by a field without one) makes that message stale.
 */
function Section(props: {
  title: string;
  outcome?: Outcome;
  onEdit?: () => void;
  children: React.ReactNode;
}) {
  const { outcome } = props;
  const headingId = `vr-section-${useId().replace(/:/g, '')}`;
  return (
    <section aria-labelledby={headingId}>
      <Card>
        <CardBody>
          <Flex direction="column" gap="3" onChange={props.onEdit}>
            <Text as="h2" variant="title-x-small" id={headingId}>
              {props.title}
            </Text>
            {props.children}
            {outcome && (
              <>
                <ErrorAlert error={outcome.error} />
                {outcome.notice && !outcome.error && (
                  <SuccessAlert>{outcome.notice}</SuccessAlert>
                )}
              </>
            )}
          </Flex>
        </CardBody>
      </Card>
    </section>
  );
}

/**
 * Where the schedule came from: the planning model it was copied from and whether it
 * still equals it (copy-on-apply, docs/planning-models.md), or the number's own.
 */
function ScheduleOrigin(props: { number: RecordedNumberWithStatus }) {
  const { planningModel, followsPlanningModel } = props.number;
  if (!planningModel) {
    return (
      <Text as="p" color="secondary" data-testid="schedule-origin">
        Own schedule (not from a planning model).
      </Text>
    );
  }
  return (
    <Text as="p" color="secondary" data-testid="schedule-origin">
      <span>Planning model: {planningModel}</span>
      {' — '}
      <span data-follows={String(!!followsPlanningModel)}>
        {followsPlanningModel
          ? 'the schedule was applied from it and still follows it.'
          : 'applied from it, but no longer follows it: the model was edited after it was applied. Apply it again to follow it.'}
      </span>
    </Text>
  );
}

/** One recorded number: settings, weekly schedule, slots and planning model. */
export function NumberDetailPage() {
  const { id = '' } = useParams();
  const api = useApi(voiceRecordingApiRef);
  const { canUpdateNumbers, canCreateNumbers } =
    useVoiceRecordingPermissions(id);
  const loaded = useAsync(() => api.getNumber(id), [api, id]);
  const [number, setNumber] = useState<RecordedNumberWithStatus>();
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<Outcome>();
  const [deleted, setDeleted] = useState<string>();
  const rootLink = useRouteRef(rootRouteRef);

  useEffect(() => setNumber(loaded.value), [loaded.value]);

  const run = async (
    section: SectionName,
    what: string,
    action: () => Promise<RecordedNumberWithStatus>,
  ): Promise<boolean> => {
    setBusy(true);
    setOutcome(undefined);
    try {
      setNumber(await action());
      setOutcome({ section, notice: what });
      return true;
    } catch (e) {
      setOutcome({ section, error: e });
      return false;
    } finally {
      setBusy(false);
    }
  };

  // A change in a section's fields makes its last message stale.
  const editedIn = (section: SectionName) =>
    setOutcome(o => (o?.section === section ? undefined : o));

  if (loaded.loading) return <Skeleton width="100%" height={32} />;
  if (loaded.error) {
    // 404 covers both "does not exist" and "not yours" (visibility is filtered in SQL).
    if (errorStatus(loaded.error) === 404) {
      return (
        <Alert
          status="warning"
          icon
          data-testid="number-not-visible"
          title="This is not a recorded number you can see."
        />
      );
    }
    return <ErrorAlert error={loaded.error} />;
  }
  if (deleted) {
    return (
      <SuccessAlert>
        Number {deleted} deleted. Its recorded conversations are kept.{' '}
        {rootLink && (
          <Link href={`${rootLink()}/${TAB_PATHS.numbers}`}>
            Back to the numbers
          </Link>
        )}
      </SuccessAlert>
    );
  }
  if (!number) return null;

  return (
    <Flex direction="column" gap="4">
      <Flex align="center" gap="4" style={{ flexWrap: 'wrap' }}>
        <Text as="h1" variant="title-medium" data-testid="number-title">
          {number.number}
        </Text>
        <StatusBadge status={number.status} fmu={number.fmu} />
        <Text color="secondary" data-testid="number-owner">
          <PersonName entityRef={number.userRef} />
        </Text>
      </Flex>
      {busy && <Skeleton width="100%" height={4} />}
      <Section
        title="Settings"
        outcome={outcome?.section === 'settings' ? outcome : undefined}
        onEdit={() => editedIn('settings')}
      >
        <NumberSettingsForm
          number={number}
          disabled={!canUpdateNumbers}
          canChangeOwner={canCreateNumbers}
          busy={busy}
          onEdit={() => editedIn('settings')}
          onSave={request =>
            run('settings', 'Settings saved', () =>
              api.updateNumber(number.id, request),
            )
          }
        />
      </Section>
      <Section
        title="Weekly schedule"
        outcome={outcome?.section === 'schedule' ? outcome : undefined}
        onEdit={() => editedIn('schedule')}
      >
        <ScheduleOrigin number={number} />
        <Grid.Root columns={{ initial: '1', md: '3' }} gap="4">
          <Grid.Item
            colSpan={{ initial: '1', md: '2' }}
            style={{ minWidth: 0 }}
          >
            <RecordingRule number={number} />
            {recordingRuleKind(number) !== 'schedule' && (
              <Text
                as="p"
                variant="body-small"
                color="secondary"
                data-testid="schedule-not-in-effect"
              >
                The weekly schedule below is not in effect while the number is
                not on Auto.
              </Text>
            )}
            {/* On Auto the rule above names the zone; otherwise the grid does. */}
            <WeekGrid
              slots={number.slots}
              timeZone={
                recordingRuleKind(number) === 'schedule'
                  ? undefined
                  : number.settings.timeZone
              }
            />
          </Grid.Item>
          <Grid.Item style={{ minWidth: 0 }}>
            <SlotList
              slots={number.slots}
              disabled={busy}
              onDelete={
                canUpdateNumbers
                  ? slot =>
                      run('schedule', 'Slot deleted', () =>
                        api.deleteSlot(number.id, slot.id!),
                      )
                  : undefined
              }
            />
          </Grid.Item>
        </Grid.Root>
        {canUpdateNumbers && (
          <>
            <AddSlotForm
              busy={busy}
              onAdd={slot =>
                run('schedule', 'Slot added', () =>
                  api.addSlot(number.id, slot),
                )
              }
            />
            <ApplyPlanningModelForm
              busy={busy}
              onEdit={() => editedIn('schedule')}
              onApply={modelId =>
                run('schedule', 'Planning model applied', () =>
                  api.applyPlanningModel(number.id, modelId),
                )
              }
            />
          </>
        )}
      </Section>
      <DeleteNumberButton
        number={number}
        disabled={busy}
        onDeleted={() => setDeleted(number.number)}
      />
    </Flex>
  );
}
