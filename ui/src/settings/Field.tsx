import type { ReactNode } from "react";
import { FieldMessage } from "../Alert";

/** A labelled input with its message under it; the id is also its test id. */
export function Field(props: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  error?: string | null;
  hint?: ReactNode;
  type?: string;
  placeholder?: string;
  suffix?: ReactNode;
}) {
  return (
    <div className="field">
      <label htmlFor={props.id}>{props.label}</label>
      <div className="field-input">
        <input
          id={props.id}
          type={props.type ?? "text"}
          value={props.value}
          placeholder={props.placeholder}
          onChange={(e) => props.onChange(e.target.value)}
          aria-invalid={Boolean(props.error)}
          aria-describedby={props.error ? `${props.id}-error` : undefined}
          data-testid={props.id}
        />
        {props.suffix}
      </div>
      {props.hint && !props.error && <p className="sub hint">{props.hint}</p>}
      <FieldMessage message={props.error} id={`${props.id}-error`} testId={`${props.id}-error`} />
    </div>
  );
}
