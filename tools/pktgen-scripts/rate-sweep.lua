-- SPDX-License-Identifier: BSD-3-Clause
--
-- Pktgen-DPDK: replay a RoCEv2 WRITE stream (from roce-pcapgen) at rising
-- rates into a running ccm node or ccm-perf server, and read what its
-- transport counted at each rate. Start Pktgen with the pcap on port 0:
--
--   pktgen [EAL] -- -P -m "[1].0" -s 0:write-4096.pcap -f rate-sweep.lua
--
-- Environment:
--   CCM_PREFIX   the target's EAL --file-prefix (its telemetry socket)
--   RATES        percentages, e.g. "5 10 25 50 100" (the default)
--   SECONDS      seconds per rate (default 5)
--
-- Each line: rate, frames Pktgen sent per second, and the target's
-- counter deltas per second: RoCEv2 frames received, accepted by a QP
-- (resp_pkts), duplicates, frames for no QP, ICRC failures, and the frames
-- its port missed (rx_frames behind tx).

package.path = package.path .. ";?.lua;test/?.lua;app/?.lua;"
require "Pktgen"

local prefix = os.getenv("CCM_PREFIX") or "ccm-a"
local secs = tonumber(os.getenv("SECONDS") or "5")
local rates = {}
for r in string.gmatch(os.getenv("RATES") or "5 10 25 50 100", "%S+") do
	rates[#rates + 1] = tonumber(r)
end

-- The target's /roce/stats, through DPDK's telemetry client.
local function roce_stats()
	local cmd = string.format("echo /roce/stats | dpdk-telemetry.py -f %s 2>/dev/null", prefix)
	local f = io.popen(cmd)
	local out = f:read("*a")
	f:close()
	local s = {}
	for k, v in string.gmatch(out, '"([%w_]+)": (%d+)') do
		s[k] = (s[k] or 0) + tonumber(v)
	end
	return s
end

local function delta(a, b, k)
	return ((b[k] or 0) - (a[k] or 0)) / secs
end

pktgen.screen("off")
pktgen.pcap("0", "on")
printf("%6s %12s %12s %12s %10s %10s %10s\n", "rate%", "sent/s", "rx_roce/s",
	"resp_pkts/s", "dup/s", "no_qp/s", "bad_icrc/s")
for _, rate in ipairs(rates) do
	pktgen.clr()
	pktgen.set("0", "rate", rate)
	local before = roce_stats()
	pktgen.start("0")
	pktgen.delay(secs * 1000)
	pktgen.stop("0")
	pktgen.delay(200)
	local after = roce_stats()
	local port = pktgen.portStats("0", "port")[0]
	printf("%6d %12.0f %12.0f %12.0f %10.0f %10.0f %10.0f\n", rate, port.opackets / secs,
		delta(before, after, "rx_roce"), delta(before, after, "resp_pkts"),
		delta(before, after, "resp_dup"), delta(before, after, "rx_no_qp"),
		delta(before, after, "rx_bad_icrc"))
end
pktgen.quit()
