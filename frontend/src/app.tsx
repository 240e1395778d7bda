// The app itself: the theme, the providers and the router, rendered by mountApp (src/main.tsx
// loads this module once the first load's requests are on their way).
import {
  createTheme,
  type CSSVariablesResolver,
  darken,
  defaultVariantColorsResolver,
  MantineProvider,
  Menu,
  Modal,
  MultiSelect,
  parseThemeColor,
  rem,
  Select,
  type VariantColorsResolver,
} from "@mantine/core";
import { type QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { StrictMode } from "react";
import { createRoot } from "react-dom/client";
import { RouterProvider } from "react-router";

import { SessionProvider } from "@/features/auth/session";
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

const scrollingOptions = { maxHeight: rem(220), overflowY: "auto" } as const;

// Shade 7 and a darker "dimmed" keep text at WCAG AA contrast (4.5:1) on white and gray.0.
const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: { light: 7, dark: 5 },
  defaultRadius: "md",
  variantColorResolver,
  components: {
    Modal: Modal.extend({ defaultProps: { closeButtonProps: { "aria-label": "Close" } } }),
    // A menu (role=menu) may hold only its items: no focus placeholder div before them (axe
    // aria-required-children). Opening still moves focus into the menu.
    Menu: Menu.extend({ defaultProps: { withInitialFocusPlaceholder: false } }),
    // A select's list of options scrolls itself (no ScrollArea wrapper inside role=listbox) and
    // is in the tab order, so a keyboard can reach a scrolling region (axe
    // scrollable-region-focusable); clicks in it still keep the focus in the input.
    // A closed list is not in the page (Mantine keeps it mounted, hidden, by default): a filter
    // bar's five lists were rendered with every option and re-positioned on each render of the
    // page, ~20 forced layouts during the dashboard's first load.
    Select: Select.extend({
      defaultProps: { withScrollArea: false, comboboxProps: { keepMounted: false } },
      styles: { options: scrollingOptions },
    }),
    MultiSelect: MultiSelect.extend({
      defaultProps: { withScrollArea: false, comboboxProps: { keepMounted: false } },
      styles: { options: scrollingOptions },
    }),
    ComboboxOptions: { defaultProps: { tabIndex: 0 } },
  },
});

// Error text and red buttons in shade 9 (#c92a2a, 5.4:1 on white): Mantine's red 6 and 7 reach
// only 3.6:1 and 3.8:1, short of WCAG AA (4.5:1), in field errors, alerts' buttons and the
// filled red buttons of confirmations.
const cssVariablesResolver: CSSVariablesResolver = (t) => {
  const red = t.colors.red[9] ?? "#c92a2a";
  return {
    variables: {},
    light: {
      "--mantine-color-dimmed": t.colors.gray[7] ?? "#495057",
      "--mantine-color-error": red,
      "--mantine-color-red-text": red,
      "--mantine-color-red-filled": red,
      "--mantine-color-red-filled-hover": darken(red, 0.1),
    },
    dark: {},
  };
};

/** Renders the app into the page, with the query cache the first load has started filling. */
export function mountApp(queryClient: QueryClient): void {
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
}
