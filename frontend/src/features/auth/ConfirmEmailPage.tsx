import { Alert, Loader, Text } from "@mantine/core";
import { useEffect, useRef } from "react";
import { Link, useSearchParams } from "react-router";

import { useConfirmEmail } from "@/features/auth/api";
import { Anchor, AuthCard } from "@/features/auth/components/AuthCard";
import { useSession } from "@/features/auth/session";
import { errorMessage } from "@/lib/api";

/** The page a change-of-address link opens: it confirms the new address at once. */
export default function ConfirmEmailPage() {
  const [params] = useSearchParams();
  const token = params.get("token") ?? "";
  const { status } = useSession();
  const confirm = useConfirmEmail();
  const sent = useRef(false);

  useEffect(() => {
    // Once per page: the link works once, and a second request would say it was used.
    if (!token || sent.current) return;
    sent.current = true;
    confirm.mutate(token);
  }, [token, confirm]);

  const onward =
    status === "authenticated" ? (
      <Anchor component={Link} to="/account">
        Back to your account
      </Anchor>
    ) : (
      <Anchor component={Link} to="/sign-in">
        Sign in
      </Anchor>
    );

  return (
    <AuthCard title="Confirm your new address" footer={onward}>
      {!token ? (
        <Alert color="red" variant="light" role="alert">
          This link has no confirmation in it. Open the link from the e-mail again.
        </Alert>
      ) : confirm.isSuccess ? (
        <Alert color="green" variant="light" role="status" data-testid="email-confirmed">
          Done: you now sign in with {confirm.data.email}.
        </Alert>
      ) : confirm.isError ? (
        <Alert color="red" variant="light" role="alert">
          {errorMessage(confirm.error)}
        </Alert>
      ) : (
        <Text size="sm" c="gray.8">
          <Loader size="xs" mr="xs" />
          Confirming…
        </Text>
      )}
    </AuthCard>
  );
}
