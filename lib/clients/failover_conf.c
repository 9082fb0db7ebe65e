/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The failover monitor's configuration without EAL (failover_defaults.h):
 * its defaults and its rules. Pure: no I/O, no clock.
 */
#include <errno.h>
#include <stddef.h>

#include "failover.h"
#include "failover_defaults.h"

void
failover_conf_resolve(struct failover_conf *conf)
{
	if (conf->heartbeat_ns == 0)
		conf->heartbeat_ns = FO_DEFAULT_HEARTBEAT_NS;
	if (conf->down_ns == 0)
		conf->down_ns = FO_DEFAULT_DOWN_NS;
	if (conf->suspect_ns == 0)
		conf->suspect_ns = failover_default_suspect(conf->down_ns);
	if (conf->fast_ns == 0 || conf->fast_ns > conf->down_ns)
		conf->fast_ns = failover_default_fast(conf->down_ns, conf->heartbeat_ns);
	if (conf->giveback_delay_ns == 0)
		conf->giveback_delay_ns = FO_DEFAULT_GIVEBACK_DELAY_NS;
}

int
failover_conf_check(const struct failover_conf *conf)
{
	if (conf == NULL || !failover_node_id_ok(conf->node_id) ||
	    !failover_node_id_ok(conf->peer_node_id) || conf->node_id == conf->peer_node_id)
		return -EINVAL;
	if (conf->heartbeat_ns == 0 || !failover_timeout_ok(conf->heartbeat_ns, conf->down_ns) ||
	    !failover_timeout_ok(conf->heartbeat_ns, conf->fast_ns) ||
	    conf->fast_ns > conf->down_ns || conf->suspect_ns > conf->down_ns)
		return -EINVAL;
	return 0;
}
