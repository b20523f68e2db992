export declare const SIGN_IN_CODE_SETTING: "PORTCULLIS_FIRST_SIGNIN_CODE";
export declare function generateSignInCode(): string;
export declare function normalizeSignInCode(code: string): string;
export declare function signInCodeMatches(given: unknown, expected: string | undefined): boolean;
