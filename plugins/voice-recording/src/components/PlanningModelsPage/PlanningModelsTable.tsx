import {
  Button,
  Cell,
  Column,
  Flex,
  Row,
  TableBody,
  TableHeader,
  TableRoot,
} from '@backstage/ui';
import {
  PlanningModel,
  describeSlot,
} from '@mvr/plugin-voice-recording-common';
import { usageText } from './usage';

/** The planning models; edit/delete buttons only for those who may manage them. */
export function PlanningModelsTable(props: {
  items: PlanningModel[];
  canManage: boolean;
  busy?: boolean;
  onEdit: (model: PlanningModel) => void;
  onDelete: (model: PlanningModel) => void;
}) {
  return (
    <TableRoot aria-label="Planning models" data-testid="planning-models-table">
      <TableHeader>
        <Column isRowHeader>Name</Column>
        <Column>Description</Column>
        <Column>Slots</Column>
        <Column>Used by</Column>
        {props.canManage && <Column>Actions</Column>}
      </TableHeader>
      <TableBody renderEmptyState={() => 'No planning models yet.'}>
        {props.items.map(model => (
          <Row
            key={model.id}
            id={model.id}
            data-testid={`planning-model-row-${model.name}`}
          >
            <Cell>{model.name}</Cell>
            <Cell>{model.description ?? ''}</Cell>
            <Cell>{model.slots.map(describeSlot).join('; ')}</Cell>
            <Cell>{usageText(model)}</Cell>
            {props.canManage && (
              <Cell>
                <Flex gap="2" style={{ flexWrap: 'wrap' }}>
                  <Button
                    size="small"
                    variant="secondary"
                    onPress={() => props.onEdit(model)}
                    aria-label={`Edit ${model.name}`}
                  >
                    Edit
                  </Button>
                  <Button
                    size="small"
                    variant="secondary"
                    isDisabled={props.busy}
                    onPress={() => props.onDelete(model)}
                    aria-label={`Delete ${model.name}`}
                  >
                    Delete
                  </Button>
                </Flex>
              </Cell>
            )}
          </Row>
        ))}
      </TableBody>
    </TableRoot>
  );
}
