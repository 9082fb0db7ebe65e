/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The loaded configuration written back as YAML-like text, one line per
 * call (the console's `show config`, docs/configuration.md): the cluster,
 * this node with its partner's addresses on each link, the partner.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <rte_common.h>

#include "app_config_pvt.h"

struct printer {
	void (*out)(void *arg, const char *line);
	void *arg;
};

static void __rte_format_printf(2, 3)
line(const struct printer *p, const char *fmt, ...)
{
	char buf[3 * CFG_PATH_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	p->out(p->arg, buf);
}

/* @p s as a YAML scalar: plain when that reads back the same, else quoted. */
static const char *
yaml_str(const char *s, char *out, size_t len)
{
	size_t i, o = 0;
	bool plain = s[0] != '\0' && s[0] != '-' && s[0] != '~';

	for (i = 0; s[i] != '\0' && plain; i++)
		plain = isalnum((unsigned char)s[i]) || strchr("_-./+@", s[i]) != NULL;
	if (plain) {
		snprintf(out, len, "%s", s);
		return out;
	}
	out[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 3 < len; i++) {
		if (s[i] == '"' || s[i] == '\\')
			out[o++] = '\\';
		out[o++] = s[i];
	}
	out[o++] = '"';
	out[o] = '\0';
	return out;
}

void
app_config_print(const struct app_config *cfg, void (*out)(void *arg, const char *line),
		 void *arg)
{
	const struct printer p = { .out = out, .arg = arg };
	char a[2 * CFG_PATH_LEN + 4], b[2 * CFG_PATH_LEN + 4], x[32];
	unsigned int i;

	if (cfg == NULL || out == NULL)
		return;
	line(&p, "# %s, node %s", yaml_str(cfg->path, a, sizeof(a)), cfg->node_name);
	line(&p, "cluster:");
	line(&p, "  id: 0x%" PRIx32, cfg->cluster_id);
	line(&p, "  boot: { qpn: %" PRIu32 ", rkey: 0x%" PRIx32 ", address: 0x%" PRIx64 " }",
	     cfg->boot_qpn, cfg->boot_rkey, cfg->boot_addr);
	line(&p, "  transport: { mtu: %u, ack_timeout: %u, retry_count: %u }", cfg->mtu,
	     cfg->ack_timeout, cfg->retry_cnt);
	line(&p, "  timings:");
	line(&p, "    keepalive_us: %" PRIu64, cfg->keepalive_us);
	line(&p, "    link_timeout_us: %" PRIu64, cfg->link_timeout_us);
	line(&p, "    heartbeat_us: %" PRIu64, cfg->heartbeat_us);
	line(&p, "    partner_timeout_us: %" PRIu64, cfg->partner_timeout_us);
	line(&p, "    partner_fast_timeout_us: %" PRIu64, cfg->partner_fast_timeout_us);
	line(&p, "    giveback_delay_ms: %" PRIu64, cfg->giveback_delay_ms);
	line(&p, "  balance: %s", (unsigned int)cfg->balance < RTE_DIM(cfg_balance_names) ?
	     cfg_balance_names[cfg->balance] : "?");
	line(&p, "  failback: %s", cfg->failback ? "true" : "false");
	line(&p, "node:");
	line(&p, "  name: %s", cfg->node_name);
	line(&p, "  id: %u", cfg->node_id);
	line(&p, "  links:");
	for (i = 0; i < cfg->nb_links && i < CFG_MAX_LINKS; i++) {
		const struct cfg_link *k = &cfg->link[i];

		line(&p, "    - port: %s", yaml_str(k->port, a, sizeof(a)));
		cfg_format_ip(k->local_ip, x, sizeof(x));
		line(&p, "      ip: %s", x);
		if (k->has_local_mac) {
			cfg_format_mac(k->local_mac, x, sizeof(x));
			line(&p, "      mac: %s", x);
		} else {
			line(&p, "      mac: ~            # the port's own");
		}
		line(&p, "      fault_rx: \"%s\"", k->fault_rx);
		line(&p, "      fault_tx: \"%s\"", k->fault_tx);
		cfg_format_ip(k->peer_ip, x, sizeof(x));
		line(&p, "      peer_ip: %s", x);
		if (k->has_peer_mac) {
			cfg_format_mac(k->peer_mac, x, sizeof(x));
			line(&p, "      peer_mac: %s", x);
		} else {
			line(&p, "      peer_mac: ~       # ARP");
		}
	}
	line(&p, "  lcores: { ccm: %u, failover: %u, nvram: %u }", cfg->lcore_ccm,
	     cfg->lcore_failover, cfg->lcore_nvram);
	if (cfg->nvram_enabled) {
		cfg_format_size(cfg->nvram_size, x, sizeof(x));
		line(&p, "  nvram: { file: %s, shadow: %s, size: %s, mirror: %s }",
		     yaml_str(cfg->nvram_file, a, sizeof(a)),
		     yaml_str(cfg->shadow_file, b, sizeof(b)), x,
		     (unsigned int)cfg->mirror < RTE_DIM(cfg_mirror_names) ?
		     cfg_mirror_names[cfg->mirror] : "?");
	} else {
		line(&p, "  nvram: ~              # none");
	}
	if (cfg->failover_enabled)
		line(&p, "  failover: { mailbox: %s }", yaml_str(cfg->mailbox, a, sizeof(a)));
	else
		line(&p, "  failover: ~           # none");
	line(&p, "partner:");
	line(&p, "  name: %s", cfg->peer_name);
	line(&p, "  id: %u", cfg->peer_node_id);
}
