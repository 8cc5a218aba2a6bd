import { useState } from 'react';
import { Button, Flex, Text } from '@backstage/ui';
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
      <ul
        aria-label="Slots"
        data-testid="slot-list"
        style={{ listStyle: 'none', margin: 0, padding: 0 }}
      >
        {props.slots.map((slot, i) => (
          <li
            key={slot.id ?? i}
            style={{
              padding: 'var(--bui-space-1) 0',
              borderBottom: '1px solid var(--bui-border-1)',
            }}
          >
            <Flex align="center" justify="between" gap="2">
              <Text>{describeSlot(slot)}</Text>
              {props.onDelete && slot.id && (
                <Button
                  size="small"
                  variant="tertiary"
                  aria-label={`Delete slot ${describeSlot(slot)}`}
                  isDisabled={props.disabled}
                  onPress={() => setToDelete(slot)}
                >
                  Delete
                </Button>
              )}
            </Flex>
          </li>
        ))}
      </ul>
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
