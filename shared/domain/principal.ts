/** Who is calling: the verified token's subject and email. */
export interface Principal {
  readonly userId: string;
  readonly email: string;
}

/** What every use case receives beside its input: who, from where, and the request id. */
export interface RequestContext {
  readonly principal: Principal;
  readonly requestId: string;
  readonly sourceIp: string;
  readonly userAgent: string;
}
