import { ReactNode, useEffect, useMemo, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import { Avatar, Box, CircularProgress, Typography } from '@material-ui/core';
import Autocomplete from '@material-ui/lab/Autocomplete';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { LabeledTextField } from '../LabeledTextField/LabeledTextField';
import {
  PersonOption,
  PersonKind,
  personOptionOf,
  personSearchTerm,
  PERSON_FIELDS,
  PERSON_SEARCH_FIELDS,
} from './personOption';

/** How many catalog entries one search shows. */
const MAX_OPTIONS = 20;

interface PeoplePickerBaseProps {
  label: string;
  /** Which catalog kinds may be chosen; users only by default. */
  kinds?: PersonKind[];
  required?: boolean;
  disabled?: boolean;
  helperText?: ReactNode;
  placeholder?: string;
  /** Debounce of the catalog search, milliseconds. */
  debounceMs?: number;
  'data-testid'?: string;
}

export interface SinglePeoplePickerProps extends PeoplePickerBaseProps {
  multiple?: false;
  /** The chosen entity ref (`user:default/carol`), or empty. */
  value: string | undefined;
  onChange: (ref: string | undefined) => void;
}

export interface MultiplePeoplePickerProps extends PeoplePickerBaseProps {
  multiple: true;
  value: string[];
  onChange: (refs: string[]) => void;
}

export type PeoplePickerProps =
  | SinglePeoplePickerProps
  | MultiplePeoplePickerProps;

function optionLabel(option: PersonOption) {
  return option.displayName;
}

/** One row of the list: picture (or initials), display name, email or kind. */
function PersonRow(props: { option: PersonOption }) {
  const { option } = props;
  return (
    <Box
      display="flex"
      alignItems="center"
      gridGap={8}
      data-testid={`person-option-${option.ref}`}
    >
      <Avatar
        src={option.picture}
        alt=""
        style={{ width: 28, height: 28, fontSize: '0.8rem' }}
      >
        {option.displayName.slice(0, 1).toLocaleUpperCase()}
      </Avatar>
      <Box minWidth={0}>
        <Typography variant="body2" noWrap>
          {option.displayName}
        </Typography>
        <Typography variant="caption" color="textSecondary" noWrap>
          {option.kind === 'Group'
            ? `Group${option.email ? ` · ${option.email}` : ''}`
            : option.email ?? option.ref}
        </Typography>
      </Box>
    </Box>
  );
}

/**
 * Chooses users (or groups) from the catalog: searches display name, email and id as
 * one types (debounced, case-insensitive, in the catalog), shows picture, name and
 * email, and yields entity refs. Refs chosen before are shown by their display name.
 */
export function PeoplePicker(props: PeoplePickerProps) {
  const catalogApi = useApi(catalogApiRef);
  const kinds = useMemo(
    () => props.kinds ?? ['User'],
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [(props.kinds ?? ['User']).join(',')],
  );
  const debounceMs = props.debounceMs ?? 250;
  const [input, setInput] = useState('');
  const [term, setTerm] = useState<string>();
  const [open, setOpen] = useState(false);
  const [options, setOptions] = useState<PersonOption[]>([]);
  const [loading, setLoading] = useState(false);
  const [known, setKnown] = useState<Record<string, PersonOption>>({});

  useDebounce(() => setTerm(personSearchTerm(input)), debounceMs, [input]);

  // Search the catalog for the typed text (only while the list is open).
  useEffect(() => {
    if (!open || term === undefined) return undefined;
    let cancelled = false;
    setLoading(true);
    catalogApi
      .queryEntities({
        filter: { kind: kinds },
        fullTextFilter: term
          ? { term, fields: PERSON_SEARCH_FIELDS }
          : undefined,
        orderFields: { field: 'metadata.name', order: 'asc' },
        fields: PERSON_FIELDS,
        limit: MAX_OPTIONS,
      })
      .then(
        response => {
          if (cancelled) return;
          const found = response.items.map(personOptionOf);
          setOptions(found);
          setKnown(k => ({
            ...k,
            ...Object.fromEntries(found.map(o => [o.ref, o])),
          }));
        },
        () => {
          if (!cancelled) setOptions([]);
        },
      )
      .finally(() => {
        if (!cancelled) setLoading(false);
      });
    return () => {
      cancelled = true;
    };
  }, [catalogApi, kinds, term, open]);

  // Refs chosen before this picker searched (a saved owner): fetch their names.
  const values = props.multiple
    ? props.value
    : [props.value].filter((v): v is string => !!v);
  const missing = values.filter(v => !known[v]).join('\n');
  useEffect(() => {
    if (!missing) return undefined;
    let cancelled = false;
    const refs = missing.split('\n');
    catalogApi
      .getEntitiesByRefs({ entityRefs: refs, fields: PERSON_FIELDS })
      .then(
        response => {
          if (cancelled) return;
          const found = response.items.flatMap(e =>
            e ? [personOptionOf(e)] : [],
          );
          setKnown(k => ({
            ...k,
            ...Object.fromEntries(found.map(o => [o.ref, o])),
          }));
        },
        () => undefined,
      );
    return () => {
      cancelled = true;
    };
  }, [catalogApi, missing]);

  const toOption = (ref: string): PersonOption =>
    known[ref] ?? { ref, kind: 'User', displayName: ref };

  const common = {
    options,
    open,
    onOpen: () => setOpen(true),
    onClose: () => setOpen(false),
    loading,
    disabled: props.disabled,
    // The catalog filters; the list shows what it found.
    filterOptions: (o: PersonOption[]) => o,
    getOptionLabel: optionLabel,
    getOptionSelected: (a: PersonOption, b: PersonOption) => a.ref === b.ref,
    renderOption: (option: PersonOption) => <PersonRow option={option} />,
    onInputChange: (_: unknown, text: string) => setInput(text),
    noOptionsText: term ? `No one matches "${term}"` : 'Type a name or email',
    'data-testid': props['data-testid'],
    renderInput: (params: any) => (
      <LabeledTextField
        {...params}
        label={props.label}
        required={props.required && values.length === 0}
        helperText={props.helperText}
        placeholder={values.length === 0 ? props.placeholder : undefined}
        InputProps={{
          ...params.InputProps,
          endAdornment: (
            <>
              {loading ? <CircularProgress color="inherit" size={16} /> : null}
              {params.InputProps.endAdornment}
            </>
          ),
        }}
      />
    ),
  };

  if (props.multiple) {
    const onChange = props.onChange;
    return (
      <Autocomplete<PersonOption, true>
        {...common}
        multiple
        value={props.value.map(toOption)}
        onChange={(_, chosen) => onChange(chosen.map(o => o.ref))}
      />
    );
  }
  const onChange = props.onChange;
  return (
    <Autocomplete<PersonOption, false>
      {...common}
      value={props.value ? toOption(props.value) : null}
      onChange={(_, chosen) => onChange(chosen?.ref)}
    />
  );
}
