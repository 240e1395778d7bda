import "@mantine/core/styles.css";
import "./app.css";

import {
  createTheme,
  type CSSVariablesResolver,
  darken,
  defaultVariantColorsResolver,
  MantineProvider,
  Modal,
  parseThemeColor,
  type VariantColorsResolver,
} from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import { SessionProvider } from "@/features/auth/session";
import { startFirstLoad } from "@/features/shell/firstLoad";
import { ApiError } from "@/lib/api";
import { router } from "@/router";

// Text in light, subtle and outline variants is drawn in a darkened shade 9: Mantine's own
// shades fall short of WCAG AA contrast (4.5:1) on their tinted backgrounds.
const variantColorResolver: VariantColorsResolver = (input) => {
  const base = defaultVariantColorsResolver(input);
  if (!["light", "subtle", "outline"].includes(input.variant)) return base;
  const parsed = parseThemeColor({ color: input.color ?? input.theme.primaryColor, theme: input.theme });
  const shade = parsed.isThemeColor ? input.theme.colors[parsed.color]?.[9] : undefined;
  if (!shade) return base;
  const text = darken(shade, 0.35);
  return { ...base, color: text, border: input.variant === "outline" ? `1px solid ${text}` : base.border };
};

// Shade 7 and a darker "dimmed" keep text at WCAG AA contrast (4.5:1) on white and gray.0.
const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: { light: 7, dark: 5 },
  defaultRadius: "md",
  variantColorResolver,
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close" } } }),
  },
});
const cssVariablesResolver: CSSVariablesResolver = (t) => ({
  variables: {},
  light: { "--mantine-color-dimmed": t.colors.gray[7] ?? "#495057" },
  dark: {},
});

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

createRoot(document.getElementById("root") as HTMLElement).render(
  <StrictMode>
    <MantineProvider theme={theme} cssVariablesResolver={cssVariablesResolver}>
      <QueryClientProvider client={queryClient}>
        <SessionProvider>
          <RouterProvider router={router} />
        </SessionProvider>
      </QueryClientProvider>
    </MantineProvider>
  </StrictMode>,
);
