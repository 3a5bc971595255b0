// The timeline's menu of a dimension chosen in Settings: its values with their calls, and the
// store's filter it makes.
import { afterEach, describe, expect, it } from "vitest";
import { createRef } from "react";
import { cleanup, fireEvent, render, screen } from "@testing-library/react";
import { clearMocks } from "@tauri-apps/api/mocks";
import { mockCommands as mock } from "../testing";
import { FilterBar } from "./FilterBar";
import { toCallFilter, useCallFilters, type Filters } from "./useCallFilters";

afterEach(() => {
  cleanup();
  clearMocks();
});

let last: Filters | null = null;

function Bar({ initial }: { initial?: Filters }) {
  const { filters, set } = useCallFilters(initial);
  last = filters;
  return <FilterBar filters={filters} set={set} search={createRef()} />;
}

describe("dimension menus", () => {
  it("offers each dimension's values with their calls and filters by one", async () => {
    mock(({ cmd }) => {
      if (cmd === "facets") {
        return {
          agents: [],
          directions: [],
          endedReasons: [],
          languages: [],
          dimensions: [
            { field: "campaign", values: [{ value: "spring", calls: 1200 }, { value: "autumn", calls: 7 }] },
            { field: "tier", values: [{ value: "2", calls: 3 }] },
          ],
        };
      }
    });
    render(<Bar />);
    const campaign = (await screen.findByTestId("facet-metadata-campaign")) as HTMLSelectElement;
    expect([...campaign.options].map((o) => o.textContent)).toEqual(["campaign: any", `campaign: spring (${(1200).toLocaleString()})`, "campaign: autumn (7)"]);
    fireEvent.change(campaign, { target: { value: "spring" } });
    expect(toCallFilter(last!, "", 0).metadata).toEqual({ field: "campaign", value: "spring" });
    // A menu of its own: no chip as well.
    expect(screen.queryByTestId("filter-metadata")).toBeNull();
    // Another field's value replaces it (one metadata value at a time).
    fireEvent.change(screen.getByTestId("facet-metadata-tier"), { target: { value: "2" } });
    expect(last!.metadata).toEqual({ field: "tier", value: "2" });
    expect(campaign.value).toBe("");
    fireEvent.change(screen.getByTestId("facet-metadata-tier"), { target: { value: "" } });
    expect(last!.metadata).toBeNull();
  });
});
