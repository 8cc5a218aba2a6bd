import {
  IconButton,
  List,
  ListItem,
  ListItemSecondaryAction,
  ListItemText,
} from '@material-ui/core';
import DeleteIcon from '@material-ui/icons/Delete';
import { TimeSlot, describeSlot } from '@mvr/plugin-voice-recording-common';

/** The slots of a schedule as text, with a delete button each (to change a slot: delete and add). */
export function SlotList(props: {
  slots: TimeSlot[];
  onDelete?: (slot: TimeSlot) => void;
  disabled?: boolean;
}) {
  return (
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
                onClick={() => props.onDelete!(slot)}
              >
                <DeleteIcon />
              </IconButton>
            </ListItemSecondaryAction>
          )}
        </ListItem>
      ))}
    </List>
  );
}
