import { useCallback, useMemo } from "react";
import { useSearchParams } from "react-router";

import { comparisonRange, type DateRange, defaultCompare } from "@/features/filters/dateRange";
import {
  type Filters,
  parseFilters,
  selectedRange,
  writeFilters,
} from "@/features/filters/filterParams";

export type FilterState = {
  filters: Filters;
  range: DateRange;
  comparison: DateRange | null;
  setFilters: (patch: Partial<Filters>) => void;
};

/** The report filters every page shares, kept in the URL's query string. */
export function useFilters(): FilterState {
  const [params, setParams] = useSearchParams();
  const filters = useMemo(() => parseFilters(params), [params]);
  const range = useMemo(() => selectedRange(filters), [filters]);
  const comparison = useMemo(() => comparisonRange(range, filters.compare), [range, filters]);
  const setFilters = useCallback(
    (patch: Partial<Filters>) => {
      setParams(
        (current) => {
          const now = parseFilters(current);
          const next = { ...now, ...patch };
          // A new preset brings its own comparison, unless the user chose one.
          if (patch.preset && !patch.compare && now.compare === defaultCompare(now.preset)) {
            next.compare = defaultCompare(patch.preset);
          }
          return writeFilters(next, current);
        },
        { replace: false },
      );
    },
    [setParams],
  );
  return { filters, range, comparison, setFilters };
}
