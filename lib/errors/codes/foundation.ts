/** Codes of lib/bytes.ts (the byte and hex helpers every layer parses input with). */
import type { ErrorTable } from '../spec';

export const FOUNDATION_CODES = {
  HEX_INVALID: { category: 'badInput', en: 'a hex string holds a non-hex character or an odd number of digits', zh: '十六进制字符串含非十六进制字符，或位数为奇数' },
} as const satisfies ErrorTable;
