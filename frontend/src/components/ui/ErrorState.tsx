import { Alert, Button, Group, Text } from "@mantine/core";

type Props = { title?: string; message: string; onRetry?: () => void };

/** A failed load, said plainly, with a way to try again. */
export function ErrorState({ title = "Could not load this", message, onRetry }: Props) {
  return (
    <Alert color="red" title={title} role="alert" variant="light">
      <Group justify="space-between" align="center" gap="sm">
        <Text size="sm">{message}</Text>
        {onRetry && (
          <Button size="xs" variant="white" color="red" onClick={onRetry}>
            Try again
          </Button>
        )}
      </Group>
    </Alert>
  );
}
