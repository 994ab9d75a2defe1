/** Connection strings carry passwords; nothing rls-guard prints may show one. */

/** `postgres://app:secret@host/db` → `postgres://app:***@host/db`; also hides `password=` parameters. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/pass/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.toString();
  } catch {
    // Not a URL (a libpq keyword string, say): hide anything that looks like a password.
    return url.replace(/(password\s*=\s*)(?:'[^']*'|\S+)/gi, '$1***').replace(/(:\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@');
  }
}

/**
 * Removes every secret of `url` (the URL itself, its raw and percent-encoded password) from `text`.
 * Passwords shorter than 3 characters are only removed as part of the URL (replacing every `a` would
 * garble the message, and no message we build contains a bare password).
 */
export function redactSecrets(text: string, url: string | undefined): string {
  if (!url) return text;
  let out = text.split(url).join(redactUrl(url));
  try {
    const parsed = new URL(url);
    const secrets = [parsed.password, safeDecode(parsed.password), ...[...parsed.searchParams.entries()].filter(([k]) => /pass/i.test(k)).map(([, v]) => v)];
    for (const secret of secrets) {
      if (secret && secret.length >= 3) out = out.split(secret).join('***');
    }
  } catch {
    out = redactUrl(out);
  }
  return out;
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
