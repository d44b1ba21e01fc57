import { getAgoraError } from '@agora-backend/client';

interface ErrorData {
  code?: string;
  appCode?: string;
  issues?: { path: string; message: string }[];
}

const dataOf = (error: unknown): ErrorData | undefined => (error as { data?: ErrorData | null } | null)?.data ?? undefined;

/** One line for a failed call: the server's message, Agora's code and reason when Agora refused. */
export function describe(error: unknown): string {
  const agora = getAgoraError(error);
  const message = error instanceof Error ? error.message : String(error);
  return agora ? `${message} (Agora ${agora.code ?? agora.httpStatus}${agora.reason ? `: ${agora.reason}` : ''})` : message;
}

export const isUnauthorized = (error: unknown) => dataOf(error)?.code === 'UNAUTHORIZED';

/**
 * Puts each field issue next to its field (`[data-error-for=<path>]`); returns the issues no field
 * showed, for the form's own error line.
 */
export function showIssues(form: HTMLFormElement, issues: { path: string; message: string }[]): string[] {
  for (const slot of form.querySelectorAll('[data-error-for]')) slot.textContent = '';
  const unplaced: string[] = [];
  for (const issue of issues) {
    // The whole path, else its last part (layout.maxResolutionUid), else its first (snapshots.intervalSeconds).
    const parts = issue.path.split('.');
    const slot = [issue.path, parts.at(-1), parts[0]]
      .map((name) => form.querySelector(`[data-error-for="${CSS.escape(name ?? '')}"]`))
      .find(Boolean);
    if (slot && issue.path !== '') slot.textContent = issue.message;
    else unplaced.push(issue.path ? `${issue.path}: ${issue.message}` : issue.message);
  }
  return unplaced;
}

/** The server's field issues of a refused call, or none. */
export const issuesOf = (error: unknown) => dataOf(error)?.issues ?? [];

/** What a form says when the server refused: the message, and each field issue beside its field (the rest listed). */
export function refusal(form: HTMLFormElement, error: unknown): string {
  return [describe(error), ...showIssues(form, issuesOf(error))].filter(Boolean).join('; ');
}
