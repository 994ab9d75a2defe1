/**
 * Text from migrations (code frames, names quoted in messages, file names) made safe for a
 * terminal or a log: a control character (an ESC starting a terminal escape sequence, a carriage
 * return overwriting the line, a NUL) is shown as its Unicode control picture (U+2400 block), one
 * character for one, so columns keep their place.
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g;

export function visible(text: string): string {
  return text.replace(CONTROL, (c) => {
    const code = c.charCodeAt(0);
    if (code < 0x20) return String.fromCharCode(0x2400 + code);
    return code === 0x7f ? '\u2421' : '\ufffd';
  });
}
