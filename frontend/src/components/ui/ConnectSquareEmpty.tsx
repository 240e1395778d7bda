import { Button } from "@mantine/core";
import { IconPlugConnected } from "@tabler/icons-react";
import { Link } from "react-router";

import { EmptyState } from "@/components/ui/EmptyState";

/** What a page shows before any store exists: sales come from Square. */
export function ConnectSquareEmpty({ what = "your sales" }: { what?: string }) {
  return (
    <EmptyState
      title={`Connect Square to see ${what}`}
      icon={<IconPlugConnected size={40} stroke={1.5} aria-hidden />}
      action={
        <Button component={Link} to="/settings/square">
          Go to Settings
        </Button>
      }
    >
      Teliporter reads your stores and sales from Square. Once a Square account is connected, your
      stores appear here within a few minutes.
    </EmptyState>
  );
}
