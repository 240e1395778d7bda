import { PasswordInput } from "@mantine/core";
import { useState } from "react";

/** The rule the server applies (password_problem in app/core/security.py), said where the password is chosen. */
export const PASSWORD_RULE = "At least 10 characters, with a letter and a digit or symbol";
const MISMATCH = "The passwords do not match";

/** A new password typed twice: the two values, and whether they were found to differ. */
export function useNewPassword() {
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [mismatch, setMismatch] = useState(false);
  return {
    password,
    confirm,
    mismatch,
    setPassword: (value: string) => {
      setPassword(value);
      setMismatch(false);
    },
    setConfirm: (value: string) => {
      setConfirm(value);
      setMismatch(false);
    },
    /** True when the two agree (ready to send); otherwise marks the confirmation as wrong. */
    check: () => {
      const same = password === confirm;
      setMismatch(!same);
      return same;
    },
    clear: () => {
      setPassword("");
      setConfirm("");
      setMismatch(false);
    },
  };
}

export type NewPassword = ReturnType<typeof useNewPassword>;

/** The new-password pair of the invitation, reset and account forms: the rule under the first,
 * the server's complaint about it (`error`), a mismatch under the second. */
export function NewPasswordFields({
  state,
  label = "Password",
  confirmLabel = "Confirm password",
  error,
  onEdit,
}: {
  state: NewPassword;
  label?: string;
  confirmLabel?: string;
  error?: string;
  onEdit?: () => void;
}) {
  const mismatch = state.mismatch ? MISMATCH : undefined;
  return (
    <>
      <PasswordInput
        label={label}
        description={PASSWORD_RULE}
        autoComplete="new-password"
        required
        value={state.password}
        onChange={(e) => {
          state.setPassword(e.currentTarget.value);
          onEdit?.();
        }}
        error={error}
        aria-invalid={Boolean(error)}
      />
      <PasswordInput
        label={confirmLabel}
        autoComplete="new-password"
        required
        value={state.confirm}
        onChange={(e) => {
          state.setConfirm(e.currentTarget.value);
          onEdit?.();
        }}
        error={mismatch}
        aria-invalid={Boolean(mismatch)}
      />
    </>
  );
}
