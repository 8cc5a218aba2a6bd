import { ReactNode, useEffect, useId, useMemo, useRef, useState } from 'react';
import useDebounce from 'react-use/esm/useDebounce';
import {
  Avatar,
  Combobox,
  ComboboxItemText,
  Flex,
  Tag,
  TagGroup,
  Text,
} from '@backstage/ui';
import { useApi } from '@backstage/frontend-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
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

/** A picker list item of the catalog's people. */
interface PersonItem extends PersonOption {
  id: string;
}

/** What the list shows under the name: the email, or that it is a group. */
function personDescription(option: PersonOption) {
  if (option.kind === 'Group') {
    return `Group${option.email ? ` · ${option.email}` : ''}`;
  }
  return option.email ?? option.ref;
}

/** One row of the list: picture (or initials), display name, email or kind. */
function personRow(option: PersonItem) {
  return (
    <ComboboxItemText
      key={option.ref}
      id={option.ref}
      textValue={option.displayName}
      title={option.displayName}
      description={personDescription(option)}
      leadingIcon={
        <Avatar
          src={option.picture ?? ''}
          name={option.displayName}
          size="small"
          purpose="decoration"
        />
      }
      data-testid={`person-option-${option.ref}`}
    />
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

/** The catalog's answer under the field: nothing found, or loading. */
function SearchStatus(props: {
  open: boolean;
  loading: boolean;
  term: string | undefined;
  count: number;
  id: string;
}) {
  const none =
    props.open && !props.loading && !!props.term && props.count === 0;
  return (
    <Text
      as="p"
      variant="body-small"
      color="secondary"
      role="status"
      id={props.id}
    >
      {none ? `No one matches "${props.term}"` : ''}
    </Text>
  );
}

/** Props shared by the single and the free-text field. */
function comboboxCommon(
  props: Pick<
    PeoplePickerBaseProps,
    'label' | 'disabled' | 'helperText' | 'data-testid'
  >,
  catalog: ReturnType<typeof usePeopleCatalog>,
) {
  return {
    label: props.label,
    description:
      typeof props.helperText === 'string' ? props.helperText : undefined,
    isDisabled: props.disabled,
    items: catalog.found.map(o => ({ ...o, id: o.ref })),
    loading: {
      state: catalog.loading ? ('loading' as const) : ('idle' as const),
    },
    onOpenChange: (isOpen: boolean) => catalog.setOpen(isOpen),
    allowsCustomValue: true,
    menuTrigger: 'focus' as const,
    'data-testid': props['data-testid'],
  };
}

/** One person (`multiple` unset): a Backstage UI combobox over the catalog. */
function SinglePeoplePicker(
  props: PeoplePickerBaseProps & {
    value: string | undefined;
    onChange: (ref: string | undefined) => void;
    /** Clears the text after each pick (to add people to a list). */
    clearOnPick?: boolean;
    /** Refs not to offer (already in the list). */
    exclude?: string[];
  },
) {
  const { value, onChange } = props;
  const catalog = usePeopleCatalog({
    kinds: props.kinds,
    debounceMs: props.debounceMs,
    values: value ? [value] : [],
  });
  const { setInput, toOption } = catalog;
  const chosenName = value ? toOption(value).displayName : '';
  const [text, setText] = useState(chosenName);
  // The name of the person chosen (also from outside: a saved owner, once the
  // catalog has named them) is what the field shows.
  useEffect(() => {
    if (!props.clearOnPick) setText(chosenName);
  }, [chosenName, props.clearOnPick]);
  const statusId = `vr-people-${useId().replace(/:/g, '')}`;
  const exclude = new Set(props.exclude ?? []);
  const common = comboboxCommon(props, catalog);
  return (
    <div>
      <Combobox<PersonItem>
        {...common}
        items={common.items.filter(o => !exclude.has(o.ref))}
        isRequired={props.required && !value}
        placeholder={value ? undefined : props.placeholder}
        aria-describedby={statusId}
        search={{
          inputValue: text,
          onInputChange: typed => {
            setText(typed);
            setInput(typed);
            // Emptying the field un-chooses the person.
            if (!typed.trim() && value && !props.clearOnPick)
              onChange(undefined);
          },
          // The catalog has filtered; the list shows what it found.
          filter: () => true,
        }}
        onSelectionChange={key => {
          // null: the field was left with typed text; the choice stays as it was.
          if (key === null || key === undefined) return;
          const ref = String(key);
          onChange(ref);
          if (props.clearOnPick) {
            setText('');
            setInput('');
          } else {
            setText(toOption(ref).displayName);
          }
        }}
        onBlur={() => setText(props.clearOnPick ? '' : chosenName)}
      >
        {personRow}
      </Combobox>
      <SearchStatus
        id={statusId}
        open={catalog.open}
        loading={catalog.loading}
        term={catalog.term}
        count={catalog.found.length}
      />
    </div>
  );
}

/** Several people: the chosen ones as tags (each removable), a combobox to add. */
function MultiplePeoplePicker(props: MultiplePeoplePickerProps) {
  const { value, onChange, multiple: _multiple, ...base } = props;
  const names = usePeopleCatalog({
    kinds: props.kinds,
    debounceMs: props.debounceMs,
    values: value,
  });
  return (
    <Flex direction="column" gap="1">
      <SinglePeoplePicker
        {...base}
        value={undefined}
        required={props.required && value.length === 0}
        clearOnPick
        exclude={value}
        onChange={ref => {
          if (ref && !value.includes(ref)) onChange([...value, ref]);
        }}
      />
      {value.length > 0 && (
        <TagGroup
          aria-label={`${props.label}: chosen`}
          items={value.map(ref => ({ id: ref, ...names.toOption(ref) }))}
          onRemove={keys => onChange(value.filter(ref => !keys.has(ref)))}
        >
          {item => (
            <Tag id={item.id} textValue={item.displayName}>
              {item.displayName}
            </Tag>
          )}
        </TagGroup>
      )}
    </Flex>
  );
}

/**
 * Chooses users (or groups) from the catalog: searches display name, email and id as
 * one types (debounced, case-insensitive, in the catalog), shows picture, name and
 * email, and yields entity refs. Refs chosen before are shown by their display name.
 */
export function PeoplePicker(props: PeoplePickerProps) {
  if (props.multiple) return <MultiplePeoplePicker {...props} />;
  return <SinglePeoplePicker {...props} />;
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
  const isRef = looksLikeRef(value);
  const catalog = usePeopleCatalog({
    kinds: props.kinds,
    debounceMs: props.debounceMs,
    values: isRef ? [value.trim()] : [],
  });
  const { setInput, known } = catalog;
  const picked = isRef ? known[value.trim()] : undefined;
  // After a pick, the combobox writes the picked name into the field: that is not
  // new text to search for (the value stays the ref).
  const pickedName = useRef<string>();
  const statusId = `vr-people-${useId().replace(/:/g, '')}`;
  return (
    <div>
      <Combobox<PersonItem>
        {...comboboxCommon(props, catalog)}
        placeholder={props.placeholder}
        aria-describedby={statusId}
        search={{
          inputValue: picked ? picked.displayName : value,
          onInputChange: typed => {
            if (pickedName.current !== undefined) {
              const echo = typed === pickedName.current;
              pickedName.current = undefined;
              if (echo) return;
            }
            setInput(typed);
            onChange(typed);
          },
          filter: () => true,
        }}
        onSelectionChange={key => {
          if (key === null || key === undefined) return;
          const ref = String(key);
          pickedName.current = known[ref]?.displayName;
          onChange(ref);
        }}
      >
        {personRow}
      </Combobox>
      <SearchStatus
        id={statusId}
        open={catalog.open}
        loading={catalog.loading}
        term={catalog.term}
        count={catalog.found.length}
      />
    </div>
  );
}
