import { useState } from 'react';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { Box, Button, LinearProgress } from '@material-ui/core';
import { Alert } from '@material-ui/lab';
import { useApi } from '@backstage/frontend-plugin-api';
import type { PlanningModel } from '@mvr/plugin-voice-recording-common';
import { voiceRecordingApiRef } from '../../api/VoiceRecordingApi';
import { useVoiceRecordingPermissions } from '../../hooks/useVoiceRecordingPermissions';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';
import { ErrorAlert } from '../ErrorAlert/ErrorAlert';
import { PlanningModelEditor } from './PlanningModelEditor';
import { PlanningModelsTable } from './PlanningModelsTable';

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
    <Box display="flex" flexDirection="column" gridGap={16}>
      {canManagePlanningModels && !editing && (
        <Box>
          <Button
            variant="contained"
            color="primary"
            onClick={() => startEditing('new')}
          >
            New planning model
          </Button>
        </Box>
      )}
      {editing && (
        <PlanningModelEditor
          key={editing === 'new' ? 'new' : editing.id}
          model={editing === 'new' ? undefined : editing}
          onCancel={() => setEditing(undefined)}
          onSaved={saved => {
            setEditing(undefined);
            setActionError(undefined);
            setNotice(`Planning model ${saved.name} saved`);
            list.retry();
          }}
        />
      )}
      <ErrorAlert error={actionError} />
      {notice && (
        <Alert severity="success" data-testid="success-alert">
          {notice}
        </Alert>
      )}
      {list.loading && <LinearProgress />}
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
    </Box>
  );
}
