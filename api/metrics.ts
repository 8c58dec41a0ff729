/**
 * Prometheus text exposition: request counts and a latency histogram per route, process memory and
 * CPU time.
 */
const BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

interface Series {
  counts: Map<number, number>; // status → count
  buckets: number[];
  sum: number;
  n: number;
}

export class Metrics {
  readonly #series = new Map<string, Series>(); // "METHOD route"
  readonly #started = Date.now();

  observe(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${route}`;
    let s = this.#series.get(key);
    if (!s) {
      s = { counts: new Map(), buckets: BUCKETS.map(() => 0), sum: 0, n: 0 };
      this.#series.set(key, s);
    }
    s.counts.set(status, (s.counts.get(status) ?? 0) + 1);
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.buckets[i]!++;
    s.sum += seconds;
    s.n++;
  }

  render(extra: Record<string, number> = {}): string {
    const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
    const out: string[] = [];
    out.push('# HELP dafei_http_requests_total HTTP requests by route, method and status.');
    out.push('# TYPE dafei_http_requests_total counter');
    const keys = [...this.#series.keys()].sort();
    for (const k of keys) {
      const [method, route] = [k.slice(0, k.indexOf(' ')), k.slice(k.indexOf(' ') + 1)];
      for (const [status, n] of [...this.#series.get(k)!.counts].sort((a, b) => a[0] - b[0])) {
        out.push(
          `dafei_http_requests_total{method="${method}",route="${esc(route)}",status="${status}"} ${n}`,
        );
      }
    }
    out.push('# HELP dafei_http_request_duration_seconds Request latency by route and method.');
    out.push('# TYPE dafei_http_request_duration_seconds histogram');
    for (const k of keys) {
      const s = this.#series.get(k)!;
      const [method, route] = [k.slice(0, k.indexOf(' ')), k.slice(k.indexOf(' ') + 1)];
      const l = `method="${method}",route="${esc(route)}"`;
      BUCKETS.forEach((b, i) =>
        out.push(`dafei_http_request_duration_seconds_bucket{${l},le="${b}"} ${s.buckets[i]}`),
      );
      out.push(`dafei_http_request_duration_seconds_bucket{${l},le="+Inf"} ${s.n}`);
      out.push(`dafei_http_request_duration_seconds_sum{${l}} ${s.sum.toFixed(6)}`);
      out.push(`dafei_http_request_duration_seconds_count{${l}} ${s.n}`);
    }
    const m = process.memoryUsage();
    const gauges: Record<string, [number, string]> = {
      process_resident_memory_bytes: [m.rss, 'Resident set size.'],
      nodejs_heap_used_bytes: [m.heapUsed, 'V8 heap used.'],
      nodejs_heap_total_bytes: [m.heapTotal, 'V8 heap total.'],
      nodejs_external_memory_bytes: [
        m.external,
        'Memory of C++ objects bound to JS (DuckDB results).',
      ],
      process_uptime_seconds: [
        (Date.now() - this.#started) / 1000,
        'Seconds since the app was created.',
      ],
    };
    for (const [name, v] of Object.entries(extra)) gauges[name] = [v, name];
    const cpu = process.cpuUsage();
    out.push(
      '# HELP process_cpu_seconds_total User and system CPU time of the process (all its threads).',
      '# TYPE process_cpu_seconds_total counter',
      `process_cpu_seconds_total ${((cpu.user + cpu.system) / 1e6).toFixed(6)}`,
    );
    for (const [name, [v, help]] of Object.entries(gauges)) {
      out.push(`# HELP ${name} ${help}`, `# TYPE ${name} gauge`, `${name} ${v}`);
    }
    return out.join('\n') + '\n';
  }
}
