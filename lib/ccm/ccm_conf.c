/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The CCM's configuration without EAL: its defaults and a check of a
 * whole struct ccm_conf (ccm_defaults.h). Pure: no I/O, no clock.
 */
#include <errno.h>
#include <string.h>

#include "ccm.h"
#include "ccm_defaults.h"

void
ccm_conf_defaults(struct ccm_conf *conf)
{
	conf->mtu = CCM_DEFAULT_MTU;
	conf->ack_timeout = CCM_DEFAULT_ACK_TIMEOUT;
	conf->retry_cnt = CCM_DEFAULT_RETRY_CNT;
	conf->keepalive_ns = CCM_DEFAULT_KEEPALIVE_NS;
	conf->link_timeout_ns = CCM_DEFAULT_LINK_TIMEOUT_NS;
	conf->probe_min_ns = CCM_DEFAULT_PROBE_MIN_NS;
	conf->probe_max_ns = CCM_DEFAULT_PROBE_MAX_NS;
	conf->session_check_ns = CCM_DEFAULT_SESSION_CHECK_NS;
	conf->step_timeout_ns = CCM_DEFAULT_STEP_TIMEOUT_NS;
	conf->terminate_timeout_ns = CCM_DEFAULT_TERMINATE_TIMEOUT_NS;
	conf->balance = CCM_BALANCE_ROUND_ROBIN;
	conf->failback = true;
	conf->version_min = CCM_PROTO_VERSION_MIN;
	conf->version_max = CCM_PROTO_VERSION_MAX;
}

int
ccm_conf_check(const struct ccm_conf *conf)
{
	if (conf == NULL || conf->name == NULL || conf->nb_links == 0 ||
	    conf->nb_links > CCM_MAX_LINKS)
		return -EINVAL;
	if (conf->node_id == 0 || conf->peer_node_id == 0 || conf->node_id == conf->peer_node_id)
		return -EINVAL;
	if (conf->boot_qpn < CCM_BOOT_QPN_MIN || conf->boot_qpn > CCM_BOOT_QPN_MAX ||
	    conf->boot_rkey < CCM_BOOT_RKEY_MIN || conf->boot_rkey > CCM_BOOT_RKEY_MAX ||
	    conf->boot_addr > CCM_BOOT_ADDR_MAX)
		return -EINVAL;
	if (conf->mtu < IBV_MTU_256 || conf->mtu > IBV_MTU_4096 ||
	    conf->ack_timeout < CCM_ACK_TIMEOUT_MIN || conf->ack_timeout > CCM_ACK_TIMEOUT_MAX ||
	    conf->retry_cnt > CCM_RETRY_CNT_MAX)
		return -EINVAL;
	if (conf->keepalive_ns == 0 || !ccm_link_timeout_ok(conf->keepalive_ns, conf->link_timeout_ns))
		return -EINVAL;
	if (conf->version_min == 0 || conf->version_min > conf->version_max)
		return -EINVAL;
	return 0;
}
