/**
 * The setup of the end-to-end tests: a simulated fleet on 127.0.0.1 scraped
 * every second by a real Prometheus, ready once Prometheus has an error rate
 * from it.
 */
import { startFleet, type Fleet } from '../../src/simulator/index.js';
import { startPrometheus, waitForValue, type RunningPrometheus } from './prometheus.js';

/** The fleet's 5xx ratio over 10 s: quick to follow a fault with a 1 s scrape. */
export const ERROR_RATE = 'sum(rate(http_requests_total{status=~"5.."}[10s])) / sum(rate(http_requests_total[10s]))';

export interface LiveFleet {
  fleet: Fleet;
  prom: RunningPrometheus;
  stop(): Promise<void>;
}

export async function startLiveFleet(o: { nodes: number; seed: number }): Promise<LiveFleet> {
  const fleet = await startFleet({ nodes: o.nodes, seed: o.seed, profile: { requestRate: 50, errorRate: 0.005 } });
  let prom: RunningPrometheus;
  try {
    prom = await startPrometheus({ targets: [...fleet.targets], scrapeInterval: '1s' });
    await waitForValue(prom.url, ERROR_RATE, 'an error rate from the fleet in Prometheus');
  } catch (err) {
    await fleet.close();
    throw err;
  }
  return {
    fleet,
    prom,
    async stop() {
      await prom.stop();
      await fleet.close();
    },
  };
}
