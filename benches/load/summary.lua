-- The load kit's wrk summary: one machine-readable LOADKIT line (latencies in microseconds).
local M = {}

function M.done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    "LOADKIT requests=%d duration_us=%d p50=%d p99=%d p999=%d connect_errors=%d read_errors=%d write_errors=%d status_errors=%d timeouts=%d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency:percentile(99.9),
    e.connect, e.read, e.write, e.status, e.timeout))
end

return M
