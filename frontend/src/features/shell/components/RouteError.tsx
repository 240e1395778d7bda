import { Button, Center, Stack, Text, Title } from "@mantine/core";
import { useRouteError } from "react-router";

/** Shown instead of a page that crashed (or whose code could not be loaded after a deploy). */
export function RouteError() {
  const error = useRouteError();
  const stale = error instanceof Error && /dynamically imported module|Importing a module/i.test(error.message);
  return (
    <Center mih="100vh" p="md" component="main">
      <Stack align="center" gap="sm" maw={460} ta="center">
        <Title order={1} size="h3">
          {stale ? "Teliporter has been updated" : "Something went wrong"}
        </Title>
        <Text c="gray.7">
          {stale
            ? "Reload the page to get the new version."
            : "This page hit an unexpected problem. Reloading usually helps; if it keeps happening, let us know."}
        </Text>
        <Button onClick={() => window.location.reload()}>Reload</Button>
      </Stack>
    </Center>
  );
}
