// Types of malloc-tuning.js (plain JavaScript: it runs before Node's type stripper loads).
export declare const mallocTunables: string;
export declare function mallocTunedEnvironment(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
  platform?: NodeJS.Platform,
): NodeJS.ProcessEnv | undefined;
export declare function restartWithMallocTunables(script: string): void;
