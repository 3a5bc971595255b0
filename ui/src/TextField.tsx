/** A labelled text input; its id is also its test id. */
export function TextField(props: { id: string; label: string; value: string; onChange: (value: string) => void; placeholder: string; invalid?: boolean }) {
  return (
    <>
      <label htmlFor={props.id}>{props.label}</label>
      <input
        id={props.id}
        value={props.value}
        onChange={(e) => props.onChange(e.target.value)}
        placeholder={props.placeholder}
        aria-invalid={props.invalid}
        data-testid={props.id}
      />
    </>
  );
}
