// The timeline's keys: "/" search, Esc clears (a field, then the filters), ↑/↓ move the
// selection, Enter opens it. Only while no field has the keyboard: "/" is part of a URL too.
import { RefObject, useEffect } from "react";
import { isField } from "../keys";

export type ShortcutActions = {
  search: RefObject<HTMLInputElement | null>;
  /** A drawer is open: Esc is the drawer's. */
  drawerOpen: boolean;
  rowCount: number;
  resetFilters: () => void;
  move: (by: 1 | -1) => void;
  openSelected: () => void;
};


export function useShortcuts(actions: ShortcutActions) {
  const { search, drawerOpen, rowCount, resetFilters, move, openSelected } = actions;
  useEffect(() => {
    function onKey(e: KeyboardEvent) {
      const typing = isField(document.activeElement);
      if (e.key === "/" && !typing) {
        e.preventDefault();
        search.current?.focus();
      } else if (e.key === "Escape") {
        if (typing) (document.activeElement as HTMLElement).blur();
        else if (!drawerOpen) resetFilters();
      } else if (e.key === "Enter" && !typing && !drawerOpen && rowCount > 0) {
        openSelected();
      } else if ((e.key === "ArrowDown" || e.key === "ArrowUp") && !typing) {
        e.preventDefault();
        move(e.key === "ArrowDown" ? 1 : -1);
      }
    }
    window.addEventListener("keydown", onKey);
    return () => window.removeEventListener("keydown", onKey);
  }, [search, drawerOpen, rowCount, resetFilters, move, openSelected]);
}
