import type { ComponentChildren } from 'preact';

/** A column heading: its text (empty: a blank heading), or its text with a tooltip. */
export type Column = string | { label: string; title: string };

/**
 * The console's data table: a scrolling table with one heading row and, when `empty` is given, a
 * muted row spanning every column in place of the rows.
 */
export function Table({
  class: cls,
  columns,
  empty,
  children,
}: {
  class: string;
  columns: Column[];
  /** The text of the row shown when there are no rows; undefined: no such row. */
  empty?: string | undefined;
  children: ComponentChildren;
}) {
  return (
    <div class="scroll">
      <table class={cls}>
        <thead>
          <tr>
            {columns.map((c, i) =>
              typeof c === 'string' ? (
                <th key={i}>{c || null}</th>
              ) : (
                <th key={i} title={c.title}>
                  {c.label}
                </th>
              ),
            )}
          </tr>
        </thead>
        <tbody>
          {empty !== undefined && (
            <tr>
              <td colSpan={columns.length} class="muted">
                {empty}
              </td>
            </tr>
          )}
          {children}
        </tbody>
      </table>
    </div>
  );
}

/** A labelled text input bound to a string. */
export function TextField({
  label,
  name,
  value,
  onValue,
  required,
}: {
  label: string;
  name: string;
  value: string;
  onValue: (value: string) => void;
  required?: boolean;
}) {
  return (
    <label>
      {label}
      <input
        name={name}
        value={value}
        onInput={(e) => onValue((e.target as HTMLInputElement).value)}
        required={required}
      />
    </label>
  );
}

/** A labelled select bound to a string; its options are the children. */
export function SelectField({
  label,
  name,
  value,
  onValue,
  children,
}: {
  label: string;
  name: string;
  value: string;
  onValue: (value: string) => void;
  children: ComponentChildren;
}) {
  return (
    <label>
      {label}
      <select name={name} value={value} onChange={(e) => onValue((e.target as HTMLSelectElement).value)}>
        {children}
      </select>
    </label>
  );
}
