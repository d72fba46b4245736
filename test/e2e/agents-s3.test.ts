import { defineAgentSuite } from './agent-suite.ts';

defineAgentSuite({ s3: true });
