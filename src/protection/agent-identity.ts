/** An authenticated agent: its credential and the data source it speaks for. */
export interface AgentIdentity {
  readonly credentialId: string;
  readonly dataSourceId: string;
  readonly buId: string;
  /** The data source's own vault. */
  readonly vaultId: string;
  readonly hostname: string;
}
