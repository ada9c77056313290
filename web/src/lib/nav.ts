// Where to send the user after signing in, without allowing open redirects.

/** `next` if it is a dashboard path, otherwise the overview. */
export function safeNext(next: string | null | undefined): string {
  if (!next) return "/app/overview";
  // Only same-site dashboard paths: "//evil.com" or "https://..." would leave the site.
  if (!next.startsWith("/app/") || next.startsWith("//") || next.includes("\\")) return "/app/overview";
  if (next.startsWith("/app/signin") || next.startsWith("/app/signup")) return "/app/overview";
  return next;
}

/** Sign-in URL that brings the user back to `path` afterwards. */
export function signInUrl(path: string): string {
  const next = safeNext(path);
  return next === "/app/overview" ? "/app/signin" : `/app/signin?next=${encodeURIComponent(next)}`;
}
