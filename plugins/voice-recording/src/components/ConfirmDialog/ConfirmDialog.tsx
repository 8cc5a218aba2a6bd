import {
  Button,
  Dialog,
  DialogBody,
  DialogFooter,
  DialogHeader,
  Text,
} from '@backstage/ui';

/** A yes/no question in a dialog (instead of window.confirm, which browser tests dismiss). */
export function ConfirmDialog(props: {
  open: boolean;
  title: string;
  text: string;
  confirmLabel: string;
  onConfirm: () => void;
  onClose: () => void;
  /** The confirmed action deletes or loses something: the button says so (red). Default true. */
  destructive?: boolean;
}) {
  const { onClose } = props;
  return (
    <Dialog
      isOpen={props.open}
      onOpenChange={open => {
        if (!open) onClose();
      }}
    >
      <DialogHeader>{props.title}</DialogHeader>
      <DialogBody>
        <Text as="p">{props.text}</Text>
      </DialogBody>
      <DialogFooter>
        <Button variant="secondary" onPress={onClose}>
          Cancel
        </Button>
        <Button
          variant="primary"
          destructive={props.destructive ?? true}
          onPress={props.onConfirm}
        >
          {props.confirmLabel}
        </Button>
      </DialogFooter>
    </Dialog>
  );
}
