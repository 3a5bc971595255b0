// What went wrong, in plain words: failures by category in the overview (reasons with no
// entry apart), and Settings → Reasons categorising a reason found in calls (refused by field,
// then saved, the table read anew).
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { cleanup, fireEvent, render, screen, waitFor } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { mockCommands as mock } from "./testing";
import type { ReasonsView } from "./ipc";
import { failuresByCategory, forgetReasons } from "./reasons";
import { FailureCategories } from "./overview/FailureCategories";
import { ReasonsSettings } from "./settings/ReasonsSettings";
import { isFiltered, NO_FILTERS, toCallFilter } from "./calls/useCallFilters";

const row = (reason: string, category: ReasonsView["entries"][number]["category"], custom = false) => ({
  reason,
  category,
  explanation: `${reason} explained`,
  custom,
  hasDefault: !custom,
});

const TABLE: ReasonsView = {
  entries: [row("busy", "caller"), row("no-answer", "caller"), row("pipeline-error", "platform")],
  unknown: ["x-trunk-dropped"],
};

beforeEach(() => forgetReasons());
afterEach(() => {
  cleanup();
  clearMocks();
});

describe("failures by category", () => {
  it("adds the failed calls of each category's reasons, the ones with no entry apart", () => {
    const counts = failuresByCategory(TABLE, [
      { key: "busy", failed: 3 },
      { key: "no-answer", failed: 2 },
      { key: "completed", failed: 0 },
      { key: "x-trunk-dropped", failed: 4 },
      { key: "pipeline-error", failed: 1 },
      { key: null, failed: 9 },
    ]);
    expect(counts).toEqual([
      { category: "caller", failed: 5, reasons: ["busy", "no-answer"] },
      { category: null, failed: 4, reasons: ["x-trunk-dropped"] },
      { category: "platform", failed: 1, reasons: ["pipeline-error"] },
    ]);
  });

  it("shows them in the overview by name", async () => {
    mock(({ cmd }) => (cmd === "reasons" ? TABLE : undefined));
    const opened: [string, string[]][] = [];
    render(
      <FailureCategories
        reasons={[
          { key: "busy", calls: 3, failed: 3 },
          { key: "x-trunk-dropped", calls: 4, failed: 4 },
        ]}
        onOpen={(label, reasons) => opened.push([label, reasons])}
      />,
    );
    const panel = await screen.findByTestId("overview-categories");
    await waitFor(() => expect(panel.querySelector("[data-key=caller]")).not.toBeNull());
    const rows = [...panel.querySelectorAll("li")].map((li) => [li.querySelector(".tally-label")!.textContent, li.getAttribute("data-calls")]);
    expect(rows).toEqual([
      ["Not categorised", "4"],
      ["The caller", "3"],
    ]);
    // A category opens the timeline at its reasons' failures; the filter holds them all.
    fireEvent.click(screen.getByText("The caller"));
    expect(opened).toEqual([["The caller", ["busy"]]]);
    const filters = { ...NO_FILTERS, phase: "failed" as const, reasonGroup: { label: "The caller", reasons: ["busy", "no-answer"] } };
    expect(toCallFilter(filters, "", 0).endedReasons).toEqual(["busy", "no-answer"]);
    expect(toCallFilter({ ...filters, reason: "busy" }, "", 0).endedReasons).toEqual(["busy"]);
    expect(isFiltered({ ...NO_FILTERS, reasonGroup: filters.reasonGroup })).toBe(true);
  });
});

describe("Settings → Reasons", () => {
  it("categorises a reason found in calls: refused by field first, then saved", async () => {
    let refuse = true;
    const calls = mock(({ cmd, args }) => {
      if (cmd === "reasons") return TABLE;
      if (cmd === "set_reason") {
        if (refuse) throw { code: "setting_invalid", message: "One line of 1 to 200 characters saying what happened.", field: "explanation" };
        const entry = args.entry as { reason: string; category: "provider"; explanation: string };
        return { entries: [...TABLE.entries, { ...entry, custom: true, hasDefault: false }], unknown: [] };
      }
    });
    render(<ReasonsSettings />);
    const unknown = await screen.findByTestId("reason-x-trunk-dropped");
    expect(screen.getByTestId("reasons-unknown").textContent).toContain("Not categorised yet (1)");
    fireEvent.change(screen.getByTestId("reason-x-trunk-dropped-category"), { target: { value: "provider" } });
    fireEvent.click(screen.getByTestId("reason-x-trunk-dropped-save"));
    expect((await screen.findByTestId("reason-x-trunk-dropped-error")).textContent).toContain("One line");
    expect(unknown.isConnected).toBe(true);

    refuse = false;
    fireEvent.change(screen.getByTestId("reason-x-trunk-dropped-explanation"), { target: { value: "Our SIP trunk dropped it." } });
    fireEvent.click(screen.getByTestId("reason-x-trunk-dropped-save"));
    await waitFor(() => expect(screen.queryByTestId("reasons-unknown")).toBeNull());
    const saved = calls.filter((c) => c.cmd === "set_reason").pop()!;
    expect(saved.args.entry).toEqual({ reason: "x-trunk-dropped", category: "provider", explanation: "Our SIP trunk dropped it." });
    // Now among the known ones, as the user's own: removable.
    expect(await screen.findByTestId("reason-x-trunk-dropped-reset")).toHaveProperty("textContent", "Remove");
  });
});
