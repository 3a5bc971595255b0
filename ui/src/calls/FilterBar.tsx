import { RefObject, useCallback, useEffect, useState } from "react";
import { api } from "../ipc";
import type { CallPhase, DimensionFacet, Facets } from "../bindings";
import { FacetSelect } from "./FacetSelect";
import { useAgentLabels } from "../agents";
import { TimeRangeSelect } from "./TimeRangeSelect";
import type { Filters } from "./useCallFilters";

const PHASES: CallPhase[] = ["started", "connected", "completed", "failed"];
const NO_FACETS: Facets = { agents: [], directions: [], endedReasons: [], languages: [], dimensions: [] };

type Set = <K extends keyof Filters>(key: K, value: Filters[K]) => void;

/** Search, phase, the facet menus, the time range and the sort order. */
export function FilterBar({ filters, set, search }: { filters: Filters; set: Set; search: RefObject<HTMLInputElement | null> }) {
  const [facets, setFacets] = useState<Facets>(NO_FACETS);
  // The menus offer what the store has seen; re-read when the person reaches for them.
  const loadFacets = useCallback(() => {
    api.facets().then((f) => f && setFacets(f), () => undefined);
  }, []);
  useEffect(loadFacets, [loadFacets]);
  const agents = useAgentLabels();
  const agentOption = (id: string) => (agents.name(id) ? `${agents.name(id)} (${id})` : id);
  return (
    <div className="filters">
      <input
        ref={search}
        className="search"
        data-testid="search"
        placeholder="Search call id or metadata  ( / )"
        value={filters.text}
        onChange={(e) => set("text", e.target.value)}
      />
      <div className="segmented" role="group" aria-label="Phase">
        <button className={filters.phase === null ? "on" : ""} onClick={() => set("phase", null)}>
          All
        </button>
        {PHASES.map((p) => (
          <button key={p} className={filters.phase === p ? `on ${p}` : p} onClick={() => set("phase", p)} data-testid={`filter-${p}`}>
            {p[0].toUpperCase() + p.slice(1)}
          </button>
        ))}
      </div>
      <div className="selects" onFocus={loadFacets}>
        <FacetSelect label="Agent" value={filters.agent} options={facets.agents} onChange={(v) => set("agent", v)} labelOf={agentOption} />
        <FacetSelect label="Direction" value={filters.direction} options={facets.directions} onChange={(v) => set("direction", v)} />
        <FacetSelect
          label="Reason"
          value={filters.reason}
          options={facets.endedReasons}
          onChange={(v) => {
            set("reason", v);
            // One reason chosen replaces a category's.
            if (v) set("reasonGroup", null);
          }}
        />
        <FacetSelect label="Language" value={filters.language} options={facets.languages} onChange={(v) => set("language", v)} />
        {(facets.dimensions ?? []).map((d) => (
          <DimensionSelect key={d.field} facet={d} filters={filters} set={set} />
        ))}
        <TimeRangeSelect
          preset={filters.rangePreset}
          custom={filters.customRange}
          onPreset={(v) => set("rangePreset", v)}
          onCustom={(v) => set("customRange", v)}
        />
      </div>
      {filters.metadata && !(facets.dimensions ?? []).some((d) => d.field === filters.metadata?.field) && (
        <button
          className="chip"
          data-testid="filter-metadata"
          title="Show calls whatever this field holds"
          aria-label={`Metadata ${filters.metadata.field} is ${filters.metadata.value}: remove this filter`}
          onClick={() => set("metadata", null)}
        >
          {filters.metadata.field} = {filters.metadata.value} ✕
        </button>
      )}
      {filters.reasonGroup && !filters.reason && (
        <button
          className="chip"
          data-testid="filter-reason-group"
          title={`Reasons: ${filters.reasonGroup.reasons.join(", ")}`}
          aria-label={`Ended by ${filters.reasonGroup.label}: remove this filter`}
          onClick={() => set("reasonGroup", null)}
        >
          {filters.reasonGroup.label} ({filters.reasonGroup.reasons.length} {filters.reasonGroup.reasons.length === 1 ? "reason" : "reasons"}) ✕
        </button>
      )}
      <button className="sort" onClick={() => set("order", filters.order === "newestFirst" ? "oldestFirst" : "newestFirst")}>
        {filters.order === "newestFirst" ? "Newest first ↓" : "Oldest first ↑"}
      </button>
    </div>
  );
}

/** One of the user's dimensions (Settings → Data): its values with their calls. One metadata
 * value narrows the list at a time; choosing here replaces another field's. */
function DimensionSelect({ facet, filters, set }: { facet: DimensionFacet; filters: Filters; set: Set }) {
  const value = filters.metadata?.field === facet.field ? filters.metadata.value : "";
  return (
    <select
      className={`facet ${value ? "on" : ""}`}
      aria-label={facet.field}
      data-testid={`facet-metadata-${facet.field}`}
      value={value}
      onChange={(e) => set("metadata", e.target.value ? { field: facet.field, value: e.target.value } : null)}
    >
      <option value="">{facet.field}: any</option>
      {facet.values.map((v) => (
        <option key={v.value} value={v.value}>
          {facet.field}: {v.value} ({v.calls.toLocaleString()})
        </option>
      ))}
      {value && !facet.values.some((v) => v.value === value) && (
        <option value={value}>
          {facet.field}: {value}
        </option>
      )}
    </select>
  );
}
