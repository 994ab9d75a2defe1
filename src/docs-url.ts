/** Where each rule's documentation lives; rules derive their `meta.docs.url` from this, never by hand. */
export const REPOSITORY_URL = 'https://github.com/rls-guard/rls-guard';

export function ruleDocsUrl(ruleId: string): string {
  return `${REPOSITORY_URL}/blob/main/docs/rules/${ruleId}.md`;
}
