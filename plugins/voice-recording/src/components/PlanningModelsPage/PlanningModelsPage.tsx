import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Button, Flex, Skeleton, Text } from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import type { PlanningModel } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PlanningModelEditor } from './PlanningModelEditor';
import { PlanningModelsTable } from './PlanningModelsTable';
import { COPY_ON_APPLY_RULE, usageText } from './usage';
import { SuccessAlert } from '../SuccessAlert/SuccessAlert';

/**
 * "Planning model X saved", and for a model numbers use, what the save meant for them
 * (copy-on-apply: nothing changed on the numbers).
 */
function savedNotice(saved: PlanningModel) {
  const used = saved.usedBy ?? 0;
  const stale = used - Math.min(saved.followedBy ?? 0, used);
  if (!used) return `Planning model ${saved.name} saved`;
  return `Planning model ${saved.name} saved. ${usageText(saved)}${
    stale
      ? ': their schedules are unchanged until it is applied to them again'
      : ''
  }.`;
}

/** List of planning models; admins create, edit and delete them. */
export function PlanningModelsPage() {
  const api = useApi(voiceRecordingApiRef);
  const { canManagePlanningModels } = useVoiceRecordingPermissions();
  const list = useAsyncRetry(() => api.listPlanningModels(), [api]);
  const [editing, setEditing] = useState<PlanningModel | 'new'>();
  const [actionError, setActionError] = useState<unknown>();
  const [notice, setNotice] = useState<string>();
  const [busy, setBusy] = useState(false);

  const [toDelete, setToDelete] = useState<PlanningModel>();

  // Opening the editor starts a new action: the last one's message is stale.
  const startEditing = (model: PlanningModel | 'new') => {
    setActionError(undefined);
    setNotice(undefined);
    setEditing(model);
  };

  const remove = async (model: PlanningModel) => {
    setToDelete(undefined);
    setBusy(true);
    setActionError(undefined);
    setNotice(undefined);
    try {
      await api.deletePlanningModel(model.id);
      setNotice(`Planning model ${model.name} deleted`);
      list.retry();
    } catch (e) {
      setActionError(e);
    } finally {
      setBusy(false);
    }
  };

  return (
    <Flex direction="column" gap="4">
      <Text as="p" variant="body-small" color="secondary">
        {COPY_ON_APPLY_RULE}
      </Text>
      {canManagePlanningModels && !editing && (
        <div>
          <Button variant="primary" onPress={() => startEditing('new')}>
            New planning model
          </Button>
        </div>
      )}
      {editing && (
        <PlanningModelEditor
          key={editing === 'new' ? 'new' : editing.id}
          model={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onSaved={saved => {
            setEditing(undefined);
            setActionError(undefined);
            setNotice(savedNotice(saved));
            list.retry();
          }}
        />
      )}
      <ErrorAlert error={actionError} />
      {notice && <SuccessAlert>{notice}</SuccessAlert>}
      {list.loading && !list.value && <Skeleton width="100%" height={24} />}
      <ErrorAlert error={list.error} />
      {list.value && (
        <PlanningModelsTable
          items={list.value.items}
          canManage={canManagePlanningModels}
          busy={busy}
          onEdit={startEditing}
          onDelete={setToDelete}
        />
      )}
      <ConfirmDialog
        open={!!toDelete}
        title="Delete planning model"
        text={`Delete planning model ${toDelete?.name ?? ''}?`}
        confirmLabel="Confirm delete"
        onConfirm={() => toDelete && remove(toDelete)}
        onClose={() => setToDelete(undefined)}
      />
    </Flex>
  );
}
