import type {
  CSSProperties,
  HTMLAttributes,
  ReactNode,
  TdHTMLAttributes,
  ThHTMLAttributes,
} from 'react';

/**
 * A semantic `<table>` styled with Backstage UI's design tokens, for the tables that
 * BUI's Table (a react-aria grid) does not fit: rows with their own checkbox and
 * keyboard opening (the conversation list), expandable detail rows (the audit trail),
 * key/value tables. It is a real `table` (role and name for assistive technology and
 * the browser tests), themed light/dark by the BUI variables.
 */

const tableStyle: CSSProperties = {
  width: '100%',
  borderCollapse: 'collapse',
  fontFamily: 'var(--bui-font-regular)',
  fontSize: 'var(--bui-font-size-3)',
  color: 'var(--bui-fg-primary)',
};

const cellStyle: CSSProperties = {
  padding: 'var(--bui-space-2)',
  borderBottom: '1px solid var(--bui-border-1)',
  textAlign: 'left',
  verticalAlign: 'middle',
};

const headStyle: CSSProperties = {
  ...cellStyle,
  color: 'var(--bui-fg-secondary)',
  fontWeight: 'var(--bui-font-weight-bold)' as CSSProperties['fontWeight'],
};

export function DataTable(
  props: HTMLAttributes<HTMLTableElement> & { children: ReactNode },
) {
  const { style, ...rest } = props;
  return <table {...rest} style={{ ...tableStyle, ...style }} />;
}

export function Th(props: ThHTMLAttributes<HTMLTableCellElement>) {
  const { style, ...rest } = props;
  return <th scope="col" {...rest} style={{ ...headStyle, ...style }} />;
}

export function Td(props: TdHTMLAttributes<HTMLTableCellElement>) {
  const { style, ...rest } = props;
  return <td {...rest} style={{ ...cellStyle, ...style }} />;
}

/** A row header cell (key of a key/value table). */
export function RowTh(props: ThHTMLAttributes<HTMLTableCellElement>) {
  const { style, ...rest } = props;
  return (
    <th
      scope="row"
      {...rest}
      style={{
        ...cellStyle,
        fontWeight:
          'var(--bui-font-weight-regular)' as CSSProperties['fontWeight'],
        color: 'var(--bui-fg-secondary)',
        ...style,
      }}
    />
  );
}

/**
 * A sortable column header: a button that toggles the sort, `aria-sort` on the cell.
 */
export function SortableTh(props: {
  label: string;
  /** The column's sort direction when it is the sorted column. */
  direction?: 'asc' | 'desc';
  onSort: () => void;
  'data-testid'?: string;
}) {
  const { direction } = props;
  let ariaSort: 'ascending' | 'descending' | 'none' = 'none';
  if (direction) ariaSort = direction === 'asc' ? 'ascending' : 'descending';
  let arrow = '';
  if (direction) arrow = direction === 'asc' ? ' ↑' : ' ↓';
  return (
    <Th aria-sort={ariaSort}>
      <button
        type="button"
        onClick={props.onSort}
        data-testid={props['data-testid']}
        style={{
          background: 'none',
          border: 'none',
          padding: 0,
          font: 'inherit',
          fontWeight: 'inherit',
          textAlign: 'left',
          cursor: 'pointer',
          color: direction ? 'var(--bui-fg-primary)' : 'inherit',
        }}
      >
        {props.label}
        <span aria-hidden="true">{arrow}</span>
      </button>
    </Th>
  );
}
