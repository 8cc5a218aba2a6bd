import {
  Button,
  Table,
  TableBody,
  TableCell,
  TableHead,
  TableRow,
} from '@material-ui/core';
import {
  PlanningModel,
  describeSlot,
} from '@mvr/plugin-voice-recording-common';

/** The planning models; edit/delete buttons only for those who may manage them. */
export function PlanningModelsTable(props: {
  items: PlanningModel[];
  canManage: boolean;
  busy?: boolean;
  onEdit: (model: PlanningModel) => void;
  onDelete: (model: PlanningModel) => void;
}) {
  return (
    <Table
      size="small"
      aria-label="Planning models"
      data-testid="planning-models-table"
    >
      <TableHead>
        <TableRow>
          <TableCell>Name</TableCell>
          <TableCell>Description</TableCell>
          <TableCell>Slots</TableCell>
          <TableCell>Used by</TableCell>
          {props.canManage && <TableCell>Actions</TableCell>}
        </TableRow>
      </TableHead>
      <TableBody>
        {props.items.length === 0 && (
          <TableRow>
            <TableCell colSpan={5}>No planning models yet.</TableCell>
          </TableRow>
        )}
        {props.items.map(model => (
          <TableRow
            key={model.id}
            data-testid={`planning-model-row-${model.name}`}
          >
            <TableCell>{model.name}</TableCell>
            <TableCell>{model.description ?? ''}</TableCell>
            <TableCell>{model.slots.map(describeSlot).join('; ')}</TableCell>
            <TableCell>{model.usedBy ?? 0}</TableCell>
            {props.canManage && (
              <TableCell>
                <Button
                  size="small"
                  onClick={() => props.onEdit(model)}
                  aria-label={`Edit ${model.name}`}
                >
                  Edit
                </Button>
                <Button
                  size="small"
                  color="secondary"
                  disabled={props.busy}
                  onClick={() => props.onDelete(model)}
                  aria-label={`Delete ${model.name}`}
                >
                  Delete
                </Button>
              </TableCell>
            )}
          </TableRow>
        ))}
      </TableBody>
    </Table>
  );
}
