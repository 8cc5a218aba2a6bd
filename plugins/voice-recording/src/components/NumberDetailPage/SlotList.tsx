import { useState } from 'react';
import {
  IconButton,
  List,
  ListItem,
  ListItemSecondaryAction,
  ListItemText,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import { TimeSlot, describeSlot } from '@mvr/plugin-voice-recording-common';
import { ConfirmDialog } from '../ConfirmDialog/ConfirmDialog';

/**
 * The slots of a schedule as text, with a delete button each (to change a slot:
 * delete and add). Deleting asks for confirmation first.
 */
export function SlotList(props: {
  slots: TimeSlot[];
  onDelete?: (slot: TimeSlot) => void;
  disabled?: boolean;
}) {
  const [toDelete, setToDelete] = useState<TimeSlot>();
  return (
    <>
      <List dense aria-label="Slots" data-testid="slot-list">
        {props.slots.map((slot, i) => (
          <ListItem key={slot.id ?? i}>
            <ListItemText primary={describeSlot(slot)} />
            {props.onDelete && slot.id && (
              <ListItemSecondaryAction>
                <IconButton
                  edge="end"
                  aria-label={`Delete slot ${describeSlot(slot)}`}
                  disabled={props.disabled}
                  onClick={() => setToDelete(slot)}
                >
                  <DeleteIcon />
                </IconButton>
              </ListItemSecondaryAction>
            )}
          </ListItem>
        ))}
      </List>
      <ConfirmDialog
        open={!!toDelete}
        title="Delete slot"
        text={
          toDelete
            ? `Delete the slot ${describeSlot(
                toDelete,
              )} from this number's weekly schedule?`
            : ''
        }
        confirmLabel="Confirm delete"
        onConfirm={() => {
          const slot = toDelete;
          setToDelete(undefined);
          if (slot) props.onDelete?.(slot);
        }}
        onClose={() => setToDelete(undefined)}
      />
    </>
  );
}
