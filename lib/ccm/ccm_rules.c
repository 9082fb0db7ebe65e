/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The session's rules beside the tables: who restarted, who follows whom,
 * which held message runs now. Pure: see ccm_rules.h.
 */
#include "ccm_proto.h"
#include "ccm_rules.h"

enum ccm_peer_verdict
ccm_peer_incarnation_check(enum ccm_state s, uint64_t known, uint64_t seen)
{
	if (seen == known)
		return CCM_PEER_SAME;
	/* Before our first READ (or after a refusal) any incarnation is
	 * news, not a restart: nothing of the partner's is held yet. */
	if (known == 0 || !ccm_state_past_probe(s))
		return CCM_PEER_LEARN;
	return CCM_PEER_RESTARTED;
}

bool
ccm_peer_new_attempt_ends_ours(enum ccm_state s, uint16_t node_id, uint16_t peer_node_id)
{
	if (s == CCM_S_UP)
		return true;
	return s >= CCM_S_HELLO && s < CCM_S_UP && node_id > peer_node_id;
}

struct ccm_held_step
ccm_held_message_step(enum ccm_state s, unsigned int held, uint16_t our_min, uint16_t our_max,
		      uint16_t peer_min, uint16_t peer_max)
{
	struct ccm_held_step none = { .event = CCM_E_NEVENTS };

	/* The partner found no common version: nothing else it said counts. */
	if ((s == CCM_S_HELLO || s == CCM_S_CLIENTS) && (held & CCM_HELD_REFUSE))
		return (struct ccm_held_step){ .event = CCM_E_HELLO_BAD,
					       .consume = CCM_HELD_REFUSE };
	switch (s) {
	case CCM_S_HELLO:
		if (held & CCM_HELD_HELLO) {
			/* Claim 16: a version both speak, or a refusal. */
			uint16_t v = ccm_version_negotiate(our_min, our_max, peer_min, peer_max);

			return (struct ccm_held_step){
				.event = v != 0 ? CCM_E_HELLO_OK : CCM_E_HELLO_BAD,
				.consume = CCM_HELD_HELLO, .version = v };
		}
		break;
	case CCM_S_CLIENTS:
		if (held & CCM_HELD_CLIENTS)
			return (struct ccm_held_step){ .event = CCM_E_CLIENTS,
						       .consume = CCM_HELD_CLIENTS };
		break;
	case CCM_S_PORTS:
		if (held & CCM_HELD_PORTS)
			return (struct ccm_held_step){ .event = CCM_E_PORTS,
						       .consume = CCM_HELD_PORTS };
		break;
	case CCM_S_READY_WAIT:
		if (held & CCM_HELD_READY)
			return (struct ccm_held_step){ .event = CCM_E_READY,
						       .consume = CCM_HELD_READY };
		break;
	default:
		break;
	}
	return none;
}
