import { useId } from 'react';
import { TextField, TextFieldProps } from '@material-ui/core';

/**
 * MUI TextField with a generated id, so that its label is tied to its input
 * (without an id MUI v4 leaves the label unassociated and the input nameless).
 */
export function LabeledTextField(props: TextFieldProps) {
  const generated = useId();
  return (
    <TextField
      {...props}
      id={props.id ?? `vr-${generated.replace(/:/g, '')}`}
    />
  );
}
