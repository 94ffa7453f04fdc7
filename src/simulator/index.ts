/** The simulated fleet: real HTTP nodes with injectable faults, for the demo and the tests. */
export { startFleet, MAX_FLEET_NODES, type Fleet, type FleetNode, type FleetNodeState, type FleetOptions, type FleetState } from './fleet.js';
export { DEFAULT_PROFILE, parseFault, type Fault, type FaultTarget } from './fault.js';
export { runSimulateCommand, type SimulateCommandOptions } from './cli.js';
export { BAD_BUCKET, HELPER_BUCKETS } from './node-model.js';
