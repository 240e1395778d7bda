import { Button } from "@mantine/core";
import { Link } from "react-router";

import { EmptyState } from "@/components/ui/EmptyState";

export default function NotFoundPage() {
  return (
    <EmptyState
      title="Page not found"
      action={
        <Button component={Link} to="/">
          Go to the dashboard
        </Button>
      }
    >
      There is no page at this address.
    </EmptyState>
  );
}
