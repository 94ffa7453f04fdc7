/** The gate kinds' side of the contract (src/gate-contract.ts). */
export type { Check, CheckContext, CheckResult, CommandOutcome, GateKindModule, GateMemo, OnlineAsk, Part, PlanProblem, RawGateRef, Value } from '../src/gate-contract.js';
