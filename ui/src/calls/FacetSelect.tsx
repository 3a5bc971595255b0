/** A filter menu over the values the store has seen; empty means any. */
export function FacetSelect({ label, value, options, onChange }: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
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
          {o}
        </option>
      ))}
      {value && !options.includes(value) && <option value={value}>{value}</option>}
    </select>
  );
}
