// The drawer gives the keyboard back when it closes.
import { afterEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { useState } from "react";
import { Drawer } from "./Drawer";

function Page() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button data-testid="opener" onClick={() => setOpen(true)}>
        open
      </button>
      <button data-testid="elsewhere">elsewhere</button>
      {open && (
        <Drawer title="a call" label="Details" testId="drawer" onClose={() => setOpen(false)}>
          <button data-testid="inside">inside</button>
        </Drawer>
      )}
    </>
  );
}

afterEach(cleanup);

describe("the drawer", () => {
  it("gives the keyboard back to what had it before it opened", () => {
    render(<Page />);
    screen.getByTestId("opener").focus();
    fireEvent.click(screen.getByTestId("opener"));
    screen.getByTestId("inside").focus();
    fireEvent.click(screen.getByLabelText("Close (Esc)"));
    expect(screen.queryByTestId("drawer")).toBeNull();
    expect(document.activeElement).toBe(screen.getByTestId("opener"));
  });

  it("leaves the keyboard where it went meanwhile, outside the drawer", () => {
    render(<Page />);
    screen.getByTestId("opener").focus();
    fireEvent.click(screen.getByTestId("opener"));
    screen.getByTestId("elsewhere").focus();
    fireEvent.click(screen.getByLabelText("Close (Esc)"));
    // The close button took the keyboard for its click in a browser; here nothing else did.
    expect(document.activeElement).toBe(screen.getByTestId("elsewhere"));
  });
});
