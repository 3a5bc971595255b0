/**
 * A filter menu over the values the store has seen; empty means any. `labelOf` names a
 * value (an agent's name beside its id); the value itself is what filters.
 */
export function FacetSelect({
  label,
  value,
  options,
  onChange,
  labelOf = (v) => v,
}: {
  label: string;
  value: string;
  options: string[];
  onChange: (v: string) => void;
  labelOf?: (v: string) => string;
}) {
  return (
    <select
      className={`facet ${value ? "on" : ""}`}
      aria-label={label}
      data-testid={`facet-${label.toLowerCase()}`}
      value={value}
      onChange={(e) => onChange(e.target.value)}
    >
      <option value="">{label}: any</option>
      {options.map((o) => (
        <option key={o} value={o}>
          {labelOf(o)}
        </option>
      ))}
      {value && !options.includes(value) && <option value={value}>{labelOf(value)}</option>}
    </select>
  );
}
