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
/** The catalog search behind the pickers, and the people known by ref so far. */
function usePeopleCatalog(options: {
  kinds?: PersonKind[];
  debounceMs?: number;
  /** Refs whose names are shown. */
  values: string[];
}) {
  const catalogApi = useApi(catalogApiRef);
  const kindList = options.kinds ?? ['User'];
  const kinds = useMemo(
    () => kindList,
    // eslint-disable-next-line react-hooks/exhaustive-deps
    [kindList.join(',')],
  );
  const debounceMs = options.debounceMs ?? 250;
  const [input, setInput] = useState('');
  const [term, setTerm] = useState<string>();
  const [open, setOpen] = useState(false);
  const [found, setFound] = useState<PersonOption[]>([]);
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
          const matches = response.items.map(personOptionOf);
          setFound(matches);
          setKnown(k => ({
            ...k,
            ...Object.fromEntries(matches.map(o => [o.ref, o])),
          }));
        },
        () => {
          if (!cancelled) setFound([]);
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
  const missing = options.values.filter(v => !known[v]).join('\n');
  useEffect(() => {
    if (!missing) return undefined;
    let cancelled = false;
    const refs = missing.split('\n');
    catalogApi
      .getEntitiesByRefs({ entityRefs: refs, fields: PERSON_FIELDS })
      .then(
        response => {
          if (cancelled) return;
          const named = response.items.flatMap(e =>
            e ? [personOptionOf(e)] : [],
          );
          setKnown(k => ({
            ...k,
            ...Object.fromEntries(named.map(o => [o.ref, o])),
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
  return { found, loading, term, open, setOpen, setInput, known, toOption };
}

export function PeoplePicker(props: PeoplePickerProps) {
  const values = props.multiple
    ? props.value
    : [props.value].filter((v): v is string => !!v);
  const { found, loading, term, open, setOpen, setInput, toOption } =
    usePeopleCatalog({
      kinds: props.kinds,
      debounceMs: props.debounceMs,
      values,
    });

  const common = {
    options: found,
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

/** `user:default/carol`, `group:trading`: a value that names one entity. */
const looksLikeRef = (v: string) => /^(user|group):\S+$/i.test(v.trim());

/**
 * A search field for people: free text (a name, email or id, resolved by whoever
 * searches with it) with the catalog's people suggested as one types; picking one
 * yields their entity ref, shown by display name.
 */
export function PeopleSearchField(
  props: Omit<PeoplePickerBaseProps, 'required'> & {
    /** Typed text, or the ref of a picked person. */
    value: string;
    onChange: (value: string) => void;
  },
) {
  const { value, onChange } = props;
  const { found, loading, term, open, setOpen, setInput, known } =
    usePeopleCatalog({
      kinds: props.kinds,
      debounceMs: props.debounceMs,
      values: looksLikeRef(value) ? [value.trim()] : [],
    });
  const picked = looksLikeRef(value) ? known[value.trim()] : undefined;
  return (
    <Autocomplete<PersonOption, false, false, true>
      freeSolo
      options={found}
      open={open}
      onOpen={() => setOpen(true)}
      onClose={() => setOpen(false)}
      loading={loading}
      disabled={props.disabled}
      filterOptions={o => o}
      getOptionLabel={o => (typeof o === 'string' ? o : o.displayName)}
      getOptionSelected={(a, b) => a.ref === b.ref}
      renderOption={option => <PersonRow option={option} />}
      value={picked ?? value}
      inputValue={picked ? picked.displayName : value}
      onInputChange={(_, text, reason) => {
        // 'reset' is MUI writing the picked person's name into the box: keep the ref.
        if (reason === 'reset') return;
        setInput(text);
        onChange(text);
      }}
      onChange={(_, chosen) => {
        if (chosen && typeof chosen !== 'string') onChange(chosen.ref);
        else onChange(chosen ?? '');
      }}
      noOptionsText={
        term
          ? `No one in the catalog matches "${term}"`
          : 'Type a name or email'
      }
      data-testid={props['data-testid']}
      renderInput={params => (
        <LabeledTextField
          {...params}
          fullWidth
          label={props.label}
          helperText={props.helperText}
          placeholder={props.placeholder}
          inputProps={{ ...params.inputProps, 'aria-label': props.label }}
        />
      )}
    />
  );
}
