/**
 * HTML built by a tagged template that escapes every interpolated value unless it is already
 * `SafeHtml` (the output of another `html` template). Escaping is the default, so forgetting it
 * is impossible rather than a review item.
 */
export class SafeHtml {
  constructor(readonly value: string) {}
  toString(): string {
    return this.value;
  }
}

const ENTITIES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/** Escapes text for element content and quoted attribute values alike. */
export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (character) => ENTITIES[character] ?? character);
}

type Interpolated =
  SafeHtml | string | number | readonly (SafeHtml | string | number)[] | null | undefined | false;

function render(value: Interpolated): string {
  if (value === null || value === undefined || value === false) return '';
  if (value instanceof SafeHtml) return value.value;
  if (Array.isArray(value)) return value.map((item) => render(item)).join('');
  return escapeHtml(String(value));
}

export function html(strings: TemplateStringsArray, ...values: Interpolated[]): SafeHtml {
  return new SafeHtml(
    strings.reduce(
      (out, literal, index) => out + literal + (index < values.length ? render(values[index]) : ''),
      '',
    ),
  );
}

/** Only http(s) links are ever rendered: a `javascript:` or `data:` URL is refused, not escaped. */
export function assertWebUrl(url: string): string {
  const parsed = new URL(url);
  if (parsed.protocol !== 'https:' && parsed.protocol !== 'http:')
    throw new Error('Links must be http(s) URLs');
  return parsed.toString();
}
