/**
 * The API token lives in session storage: it survives a reload of this tab, is gone when the tab
 * closes, is never shared with other tabs, and never appears in a URL.
 */
const KEY = 'parley.token';

export function readToken(): string | null {
  try {
    return sessionStorage.getItem(KEY);
  } catch {
    // Storage can be disabled (privacy settings); then every reload asks for the token again.
    return null;
  }
}

export function saveToken(token: string): void {
  try {
    sessionStorage.setItem(KEY, token);
  } catch {
    // See readToken: the token then lives only in memory.
  }
}

export function clearToken(): void {
  try {
    sessionStorage.removeItem(KEY);
  } catch {
    // Nothing stored.
  }
}
