import { Center, Loader } from "@mantine/core";

/** A centred spinner with an accessible name, for a page or section still loading. */
export function Loading({ label = "Loading", fullPage = false }: { label?: string; fullPage?: boolean }) {
  return (
    <Center h={fullPage ? "100vh" : 160} role="status">
      <Loader />
      <span className="visually-hidden">{label}</span>
    </Center>
  );
}
