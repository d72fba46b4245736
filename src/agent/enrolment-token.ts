/** What an enrolment token carries (`cfe1.` + base64url JSON `{ s, f, u }`, see docs/agent.md). */
export interface EnrolmentToken {
  readonly secret: string;
  /** Server certificate fingerprint to pin; null: verify against the system CA store. */
  readonly fingerprint: string | null;
  readonly serverUrl: string | null;
}

/** Decodes a token; a clear error when it is not one. */
export function decodeEnrolmentToken(token: string): EnrolmentToken {
  const trimmed = token.trim();
  if (!trimmed.startsWith('cfe1.')) throw new Error('not a Coffer enrolment token (it starts with cfe1.)');
  let content: { s?: unknown; f?: unknown; u?: unknown };
  try {
    content = JSON.parse(Buffer.from(trimmed.slice(5), 'base64url').toString('utf8'));
  } catch {
    throw new Error('the enrolment token is damaged (copy it again)');
  }
  if (typeof content.s !== 'string') throw new Error('the enrolment token is damaged (copy it again)');
  return {
    secret: content.s,
    fingerprint: typeof content.f === 'string' ? content.f : null,
    serverUrl: typeof content.u === 'string' ? content.u : null,
  };
}
