/**
 * Error codes the console's server layer reports itself (pages, server actions, route handlers);
 * the CA's codes (lib/ca/errorCodes.ts) pass through unchanged.
 */
export const SERVER_ERROR_CODES = {
  AUTHENTICATION_REQUIRED: 'the request carries no live console session: sign in',
  CROSS_SITE_REQUEST: 'a cookie-authenticated request came from another site (Origin or Sec-Fetch-Site)',
  CONSOLE_CONFIG_INVALID: 'a console setting (TQCA_SESSION_*, TQCA_SIGNIN_*, TQCA_CONSOLE_KEY) is malformed',
  FORM_INVALID: 'a form field is missing or not text',
} as const;

export type ServerErrorCode = keyof typeof SERVER_ERROR_CODES;
