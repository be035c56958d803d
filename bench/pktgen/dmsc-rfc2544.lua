-- RFC 2544 §26.1 throughput search for a DMSC router, for Pktgen-DPDK.
--
-- Port 0 replays a pcap of DMSC frames (made by `dmsc pcap gen`, loaded with
-- pktgen's `-s 0:FILE` option) towards the router; port 1 receives what the
-- router forwards. A binary search on the offered rate (percent of line rate)
-- finds the highest rate at which the loss stays within LOSS_TOLERANCE.
--
-- Not run on the project's CI machines (no NICs, pktgen is not packaged in
-- Debian 12): see README.md for how to run it on a bare-metal testbed.

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local TX, RX = "0", "1"
local TRIAL_MS = tonumber(os.getenv("DMSC_TRIAL_MS") or "10000")   -- RFC 2544: >= 60 s for a report
local SETTLE_MS = 2000                                              -- let queues drain before counting
local LOSS_TOLERANCE = tonumber(os.getenv("DMSC_LOSS") or "0")      -- fraction; 0 = zero loss
local PRECISION = tonumber(os.getenv("DMSC_PRECISION") or "0.5")    -- percent of line rate

pktgen.screen("off")
pktgen.pcap(TX, "on")           -- send the pcap loaded with -s 0:FILE
pktgen.set(TX, "count", 0)      -- continuous

local function trial(rate)
  pktgen.clr()
  pktgen.set(TX, "rate", rate)
  pktgen.delay(500)
  pktgen.start(TX)
  pktgen.delay(TRIAL_MS)
  pktgen.stop(TX)
  pktgen.delay(SETTLE_MS)
  local st = pktgen.portStats("all", "port")
  local sent, got = st[0]["opackets"], st[1]["ipackets"]
  local loss = 0
  if sent > 0 then loss = (sent - got) / sent end
  printf("rate %6.2f%%  sent %12d  received %12d  loss %.6f\n", rate, sent, got, loss)
  return loss <= LOSS_TOLERANCE, sent, got
end

local lo, hi, best = 0, 100, nil
while hi - lo > PRECISION do
  local mid = (lo + hi) / 2
  local ok, sent, got = trial(mid)
  if ok then
    lo, best = mid, { rate = mid, pps = got * 1000 / TRIAL_MS }
  else
    hi = mid
  end
end
if best then
  printf("RESULT throughput %.2f%% of line rate, %.3f Mpps received\n", best.rate, best.pps / 1e6)
else
  printf("RESULT no rate met the loss tolerance\n")
end
pktgen.quit()
