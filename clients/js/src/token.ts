// Reading JWT claims without verifying them (ECB and the backend verify), and random ids.

/** The payload of a JWT, or undefined when it is not one. */
export function claims(jwt: string): Record<string, unknown> | undefined {
  const part = jwt.split(".")[1];
  if (!part) return undefined;
  try {
    const base64 = part.replace(/-/g, "+").replace(/_/g, "/");
    const binary = atob(base64.padEnd(base64.length + ((4 - (base64.length % 4)) % 4), "="));
    const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
    const value: unknown = JSON.parse(new TextDecoder().decode(bytes));
    return value && typeof value === "object" ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/** A token's `exp` in epoch milliseconds, or undefined. */
export function expiresAt(jwt: string): number | undefined {
  const exp = claims(jwt)?.exp;
  return typeof exp === "number" ? exp * 1000 : undefined;
}

/** A threadToken's `threadId`, or undefined. */
export function threadIdOf(threadToken: string): string | undefined {
  const id = claims(threadToken)?.threadId;
  return typeof id === "string" ? id : undefined;
}

/** 32 random hex digits (getRandomValues works outside secure contexts too). */
export function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
