/** The text up to the end of its first sentence: a `.` (outside backquotes) before a space or the end. */
export function firstSentence(text: string): string {
  let inCode = false;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '`') inCode = !inCode;
    else if (!inCode && text[i] === '.' && (i + 1 === text.length || text[i + 1] === ' ')) return text.slice(0, i + 1);
  }
  return text;
}
