import { Alert } from "@mantine/core";
import { IconHistory } from "@tabler/icons-react";
import { Link } from "react-router";

import { useSquareStatus } from "@/features/square/api";
import { formatDateRange } from "@/lib/format";

/**
 * The dashboard's notice while a Square account's sales history is still loading: figures before
 * the date fetched so far are incomplete. It goes away by itself when the history has loaded.
 */
export function HistoryLoadingNotice() {
  const status = useSquareStatus();
  if (!status.data?.history_loading) return null;
  const from = status.data.complete_from;
  return (
    <Alert
      color="blue"
      variant="light"
      role="status"
      icon={<IconHistory size={18} aria-hidden />}
      title="Sales history is still loading"
      data-testid="history-loading-notice"
    >
      {from
        ? `Figures before ${formatDateRange(from, from)} are incomplete until it has finished. `
        : "Figures are incomplete until it has finished. "}
      This notice goes away on its own; <Link to="/settings/square">see its progress</Link>.
    </Alert>
  );
}
