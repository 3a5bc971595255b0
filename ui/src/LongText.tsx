/**
 * A value that may be very long (a 300-character URL, an 80-character agent id, a metadata
 * value of any size): one line, cut with "…", the whole of it in the hover and for a
 * screen reader (the text itself is all there, only drawn cut).
 */
export function LongText({ text, className = "", testId }: { text: string; className?: string; testId?: string }) {
  return (
    <span className={`long-text ${className}`} title={text} data-testid={testId}>
      {text}
    </span>
  );
}
