/* SPDX-License-Identifier: BSD-3-Clause */
/* Completion queues: a ring of ibv_wc written by the device's lcore. */
#include <rte_errno.h>
#include <rte_malloc.h>

#include "roce_int.h"

struct roce_cq *
roce_create_cq(struct roce_dev *dev, uint32_t cqe)
{
	struct roce_cq *cq;
	uint32_t size;

	if (cqe == 0 || cqe > (1u << 20)) {
		rte_errno = EINVAL;
		return NULL;
	}
	size = rte_align32pow2(cqe);
	cq = rte_zmalloc("roce_cq", sizeof(*cq), 0);
	if (cq == NULL || (cq->wc = rte_zmalloc("roce_cqe", size * sizeof(*cq->wc), 0)) == NULL) {
		rte_free(cq);
		rte_errno = ENOMEM;
		return NULL;
	}
	cq->dev = dev;
	cq->mask = size - 1;
	dev->nb_cq++;
	return cq;
}

int
roce_destroy_cq(struct roce_cq *cq)
{
	if (cq->users != 0)
		return -EBUSY;
	cq->dev->nb_cq--;
	rte_free(cq->wc);
	rte_free(cq);
	return 0;
}

int
roce_cq_push(struct roce_cq *cq, const struct ibv_wc *wc)
{
	if (cq->tail - cq->head > cq->mask) {
		roce_count(cq->dev, ROCE_CNT_CQ_OVERFLOW);
		return -ENOSPC;
	}
	cq->wc[cq->tail++ & cq->mask] = *wc;
	return 0;
}

int
roce_poll_cq(struct roce_cq *cq, int n, struct ibv_wc *wc)
{
	int i;

	for (i = 0; i < n && cq->head != cq->tail; i++)
		wc[i] = cq->wc[cq->head++ & cq->mask];
	return i;
}
