// Text from outside (a CLI flag, a page's input, an object's key) read as a whole number.
// Number() would take far more than the decimal digits these fields are documented as: '0x10',
// '1e3', '+5', ' 12 ' and '' (as 0) all parse. Only plain decimal digits are a number here.

const DECIMAL_DIGITS = /^[0-9]+$/;

/** The value of `text` when it is decimal digits only and the value is a safe integer; undefined otherwise. */
export function parseDecimalInteger(text: string): number | undefined {
  if (!DECIMAL_DIGITS.test(text)) return undefined;
  const value = Number(text);
  return Number.isSafeInteger(value) ? value : undefined;
}
