/**
 * How identifiers are compared, wherever they are compared (search, resolution): the same code
 * written with spaces, dashes, full-width digits or a country prefix is the same code.
 */

/** Upper case, no spaces or dashes: what an ID number or credit code is compared as. */
export function normalizeCode(value: string | null | undefined): string | null {
  if (!value) return null;
  const v = value.normalize('NFKC').replace(/[\s-]/g, '').toUpperCase();
  return v.length > 0 ? v : null;
}

/** Last 4, 5 and 6 characters of a resident ID number. */
export function idSuffixes(idNumber: string | null | undefined): string[] {
  const id = normalizeCode(idNumber);
  if (!id || id.length < 8) return [];
  return [4, 5, 6].map((n) => id.slice(-n));
}

/** Digits only, without a leading +86 / 0086. */
export function normalizePhone(phone: string | null | undefined): string | null {
  if (!phone) return null;
  let d = phone.normalize('NFKC').replace(/\D/g, '');
  if (d.length === 13 && d.startsWith('86')) d = d.slice(2);
  if (d.length === 15 && d.startsWith('0086')) d = d.slice(4);
  return d.length >= 4 ? d : null;
}


/**
 * Every valid code one slip away from `code`: one character substituted, or two adjacent
 * characters swapped. These are the mistakes people make typing a code, and a check character
 * catches every one of them, so a code that fails its check has only a few valid neighbours.
 */
export function oneEditNeighbours(code: string, alphabet: string, isValid: (candidate: string) => boolean): string[] {
  const out = new Set<string>();
  for (let i = 0; i < code.length; i++) {
    const head = code.slice(0, i);
    const tail = code.slice(i + 1);
    for (const c of alphabet) {
      if (c === code.charAt(i)) continue;
      const candidate = head + c + tail;
      if (isValid(candidate)) out.add(candidate);
    }
    if (i + 1 < code.length && code.charAt(i) !== code.charAt(i + 1)) {
      const swapped = head + code.charAt(i + 1) + code.charAt(i) + code.slice(i + 2);
      if (isValid(swapped)) out.add(swapped);
    }
  }
  out.delete(code);
  return [...out];
}
