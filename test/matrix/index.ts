import type { MatrixFixture } from './fixture.ts';
import { identityFixtures } from './identity-fixtures.ts';
import { protectionFixtures } from './protection-fixtures.ts';
import { reportingFixtures } from './reporting-fixtures.ts';
import { serverFixtures } from './server-fixtures.ts';
import { tenancyFixtures } from './tenancy-fixtures.ts';
import { usageBillingFixtures } from './usage-billing-fixtures.ts';

/** Every module's matrix fixtures. A new route module adds its list here. */
export const matrixFixtures: readonly MatrixFixture[] = [
  ...identityFixtures,
  ...serverFixtures,
  ...tenancyFixtures,
  ...reportingFixtures,
  ...usageBillingFixtures,
  ...protectionFixtures,
];
