/** A process the local stack started beside itself (DynamoDB Local's JVM, its watchdog). */
export interface EmulatorProcess {
  /** What it is, in words for the operator: "DynamoDB Local". */
  readonly name: string;
  readonly pid: number;
}
