/** `#rrggbb` → [r, g, b] (0..255); undefined for anything else. */
export function parseHexColour(
  colour: string,
): [number, number, number] | undefined {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(colour.trim());
  if (!m) return undefined;
  return [parseInt(m[1], 16), parseInt(m[2], 16), parseInt(m[3], 16)];
}

/** WCAG 2.x relative luminance of an sRGB colour (0 black .. 1 white). */
export function relativeLuminance([r, g, b]: [number, number, number]) {
  const lin = (c: number) => {
    const s = c / 255;
    return s <= 0.04045 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
}

/** WCAG contrast ratio of two colours (1..21). */
export function contrastRatio(a: string, b: string): number {
  const la = relativeLuminance(parseHexColour(a) ?? [0, 0, 0]);
  const lb = relativeLuminance(parseHexColour(b) ?? [0, 0, 0]);
  const [hi, lo] = la > lb ? [la, lb] : [lb, la];
  return (hi + 0.05) / (lo + 0.05);
}

export const DARK_TEXT = '#000000';
export const LIGHT_TEXT = '#ffffff';

/**
 * The text colour to write on a label's colour: black or white, whichever contrasts
 * more (WCAG contrast ratio). The better of the two is at least 4.58:1 on any colour,
 * so a chip always meets WCAG AA for normal text (4.5:1).
 */
export function readableTextColour(background: string): string {
  if (!parseHexColour(background)) return DARK_TEXT;
  return contrastRatio(background, DARK_TEXT) >=
    contrastRatio(background, LIGHT_TEXT)
    ? DARK_TEXT
    : LIGHT_TEXT;
}
