/** `flightdeck demo --real-prometheus`: Debian's prometheus binary scraping the demo fleet, in real time. */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';

export async function startRealPrometheus(o: { targets: string[]; rulesFile: string; dir: string }): Promise<{ url: string; stop(): Promise<void> }> {
  const bin = ['/usr/bin/prometheus', '/usr/local/bin/prometheus'].find((p) => existsSync(p));
  if (!bin) throw new Error('no prometheus binary on this machine (apt-get install -y prometheus); run the demo without --real-prometheus');
  const port = await new Promise<number>((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as AddressInfo).port;
      s.close(() => resolve(p));
    });
  });
  const data = join(o.dir, 'prometheus-data');
  await mkdir(data, { recursive: true });
  const config = join(o.dir, 'prometheus.yml');
  await writeFile(
    config,
    `global: { scrape_interval: 5s, evaluation_interval: 5s }\nrule_files: [ ${JSON.stringify(o.rulesFile)} ]\nscrape_configs:\n  - job_name: fleet\n    static_configs:\n      - targets: ${JSON.stringify(o.targets)}\n`,
  );
  const child: ChildProcess = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${data}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 20_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline || child.exitCode !== null) {
      child.kill('SIGKILL');
      throw new Error('prometheus did not become ready within 20 s');
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    url,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
        setTimeout(() => child.kill('SIGKILL'), 3_000).unref();
      }),
  };
}
