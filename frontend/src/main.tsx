import "@mantine/core/styles.css";
import "./app.css";

import { QueryClient } from "@tanstack/react-query";

import { startFirstLoad } from "@/features/shell/firstLoad";
import { ApiError } from "@/lib/api";

// The entry is small on purpose: it restores the session and asks for the page and its figures
// first, then loads the app (React's tree, the component library, the router) and renders it.
// With the app in the entry, the ~0.2 s of evaluating those modules came before any request for
// the figures.
const queryClient = new QueryClient({
  defaultOptions: {
    queries: {
      staleTime: 30_000,
      // A 4xx will not get better by asking again.
      retry: (count, error) => !(error instanceof ApiError && error.status < 500) && count < 2,
    },
  },
});

startFirstLoad(queryClient, window.location);

import("./app")
  .then(({ mountApp }) => mountApp(queryClient))
  .catch(() => {
    // The app's code did not arrive (a deploy replaced it, or the network dropped): say so.
    const root = document.getElementById("root");
    if (root) root.textContent = "Teliporter could not load. Please reload the page.";
  });
