/** The --backend choices, in a module of their own so the CLI can list them without loading tfjs. */
export const BACKEND_CHOICES = ['auto', 'node', 'wasm', 'cpu'] as const;
export type BackendChoice = (typeof BACKEND_CHOICES)[number];
