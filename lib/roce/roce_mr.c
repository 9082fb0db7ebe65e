/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * Protection domains and memory regions. A key is (index << 8 | tag): the
 * index finds the region in constant time, the tag changes on each reuse
 * of the index so a stale key does not reach a new region.
 */
#include <string.h>
#include <unistd.h>

#include <rte_errno.h>
#include <rte_malloc.h>
#include <rte_memory.h>

#include "roce_int.h"

struct roce_pd *
roce_alloc_pd(struct roce_dev *dev)
{
	struct roce_pd *pd = rte_zmalloc("roce_pd", sizeof(*pd), 0);

	if (pd == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	pd->dev = dev;
	dev->nb_pd++;
	return pd;
}

int
roce_dealloc_pd(struct roce_pd *pd)
{
	if (pd->users != 0)
		return -EBUSY;
	pd->dev->nb_pd--;
	rte_free(pd);
	return 0;
}

/* Never called: the region holds one reference of its own until dereg. */
static void
mr_shinfo_free(void *addr __rte_unused, void *opaque __rte_unused)
{
}

static struct roce_mr *
mr_register(struct roce_pd *pd, void *addr, size_t length, uint64_t iova, unsigned int access,
	    uint32_t key)
{
	struct roce_dev *dev = pd->dev;
	long pgsz = sysconf(_SC_PAGESIZE);
	uint32_t idx;
	struct roce_mr *mr;

	/* IBTA 10.6.3.1 (C10-2x): remote write or atomic needs local write. */
	if (addr == NULL || length == 0 ||
	    (access & ~(IBV_ACCESS_LOCAL_WRITE | IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_READ |
			IBV_ACCESS_REMOTE_ATOMIC | ROCE_ACCESS_READ_ZERO_COPY)) ||
	    ((access & (IBV_ACCESS_REMOTE_WRITE | IBV_ACCESS_REMOTE_ATOMIC)) &&
	     !(access & IBV_ACCESS_LOCAL_WRITE))) {
		rte_errno = EINVAL;
		return NULL;
	}
	if (key != 0) {
		idx = key >> 8;
		if (idx == 0 || idx >= dev->max_mr) {
			rte_errno = EINVAL;
			return NULL;
		}
		if (dev->mr_table[idx] != NULL) {
			rte_errno = EEXIST;
			return NULL;
		}
	} else {
		/* Index 0 is never used so that key 0 is never valid. */
		for (idx = 1; idx < dev->max_mr && dev->mr_table[idx] != NULL; idx++)
			;
		if (idx == dev->max_mr) {
			rte_errno = ENOMEM;
			return NULL;
		}
	}
	mr = rte_zmalloc("roce_mr", sizeof(*mr), 0);
	if (mr == NULL) {
		rte_errno = ENOMEM;
		return NULL;
	}
	mr->pd = pd;
	mr->addr = addr;
	mr->iova = iova;
	mr->length = length;
	mr->access = access;
	mr->key = key != 0 ? key : (idx << 8) | ++dev->mr_tag;
	mr->dpdk_mem = rte_mem_virt2memseg(addr, NULL) != NULL;
	/* Memory from outside DPDK (a file mmap): tell DPDK so a real NIC can
	 * DMA from it. Needs whole pages; virtual devices work either way. */
	if (!mr->dpdk_mem && ((uintptr_t)addr % pgsz) == 0 && (length % pgsz) == 0) {
		if (rte_extmem_register(addr, length, NULL, 0, pgsz) == 0)
			mr->extmem = true;
		else
			ROCE_LOG(DEBUG, "%s: rte_extmem_register(%p, %zu): %s", dev->name, addr,
				 length, rte_strerror(rte_errno));
	}
	mr->shinfo.free_cb = mr_shinfo_free;
	mr->shinfo.fcb_opaque = mr;
	rte_mbuf_ext_refcnt_set(&mr->shinfo, 1);
	dev->mr_table[idx] = mr;
	dev->nb_mr++;
	pd->users++;
	return mr;
}

struct roce_mr *
roce_reg_mr(struct roce_pd *pd, void *addr, size_t length, unsigned int access)
{
	return mr_register(pd, addr, length, (uintptr_t)addr, access, 0);
}

struct roce_mr *
roce_reg_mr_fixed(struct roce_pd *pd, void *addr, size_t length, uint64_t iova,
		  unsigned int access, uint32_t key)
{
	if (key == 0) {
		rte_errno = EINVAL;
		return NULL;
	}
	return mr_register(pd, addr, length, iova, access, key);
}

int
roce_dereg_mr(struct roce_mr *mr)
{
	struct roce_dev *dev = mr->pd->dev;

	if (rte_mbuf_ext_refcnt_read(&mr->shinfo) != 1)
		return -EBUSY;
	if (mr->extmem)
		rte_extmem_unregister(mr->addr, mr->length);
	dev->mr_table[mr->key >> 8] = NULL;
	dev->nb_mr--;
	mr->pd->users--;
	rte_free(mr);
	return 0;
}

uint32_t
roce_mr_lkey(const struct roce_mr *mr)
{
	return mr->key;
}

uint32_t
roce_mr_rkey(const struct roce_mr *mr)
{
	return mr->key;
}

static struct roce_mr *
mr_check(struct roce_dev *dev, struct roce_pd *pd, uint32_t key, uint64_t base, uint64_t va,
	 uint64_t len, unsigned int access)
{
	uint32_t idx = key >> 8;
	struct roce_mr *mr;

	if (idx >= dev->max_mr)
		return NULL;
	mr = dev->mr_table[idx];
	if (mr == NULL || mr->key != key || mr->pd != pd || (mr->access & access) != access)
		return NULL;
	if (base == UINT64_MAX)
		base = mr->iova;
	/* [va, va + len) inside [base, base + length), without overflow */
	if (va < base || va - base > mr->length || len > mr->length - (va - base))
		return NULL;
	return mr;
}

struct roce_mr *
roce_mr_check(struct roce_dev *dev, struct roce_pd *pd, uint32_t key, uint64_t va, uint64_t len,
	      unsigned int access)
{
	return mr_check(dev, pd, key, UINT64_MAX, va, len, access);
}

struct roce_mr *
roce_mr_check_local(struct roce_dev *dev, struct roce_pd *pd, uint32_t lkey, const void *addr,
		    uint64_t len, unsigned int access)
{
	uint32_t idx = lkey >> 8;

	if (idx >= dev->max_mr || dev->mr_table[idx] == NULL)
		return NULL;
	return mr_check(dev, pd, lkey, (uintptr_t)dev->mr_table[idx]->addr, (uintptr_t)addr,
			len, access);
}

struct rte_mbuf *
roce_mr_copy(struct roce_dev *dev, const uint8_t *ptr, uint16_t len, uint32_t frame_off)
{
	struct rte_mbuf *m;

	if (dev->copy_pool == NULL) {
		char name[RTE_MEMPOOL_NAMESIZE];

		snprintf(name, sizeof(name), "rc_%.16s", dev->name);
		dev->copy_pool = rte_pktmbuf_pool_create(name, ROCE_COPY_MBUFS, 64, 0,
							 RTE_PKTMBUF_HEADROOM + 4096 +
							 RTE_CACHE_LINE_SIZE, SOCKET_ID_ANY);
		if (dev->copy_pool == NULL)
			return NULL;
	}
	m = rte_pktmbuf_alloc(dev->copy_pool);
	if (m == NULL)
		return NULL;
	/* Where the payload will sit in a receive buffer that starts on a
	 * cache line: a device that copies frames (vhost, memif) then copies
	 * it from and to the same alignment, on its fast path. */
	m->data_off += frame_off % RTE_CACHE_LINE_SIZE;
	memcpy(rte_pktmbuf_append(m, len), ptr, len);
	return m;
}

struct rte_mbuf *
roce_mr_attach(struct roce_dev *dev, struct roce_mr *mr, uint8_t *ptr, uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dev->ext_pool);
	rte_iova_t iova;

	if (m == NULL)
		return NULL;
	if (rte_eal_iova_mode() == RTE_IOVA_VA)
		iova = (uintptr_t)ptr;
	else if (mr->dpdk_mem || mr->extmem)
		iova = rte_mem_virt2iova(ptr);
	else
		iova = RTE_BAD_IOVA;	/* virtual devices copy by address */
	rte_mbuf_ext_refcnt_update(&mr->shinfo, 1);
	rte_pktmbuf_attach_extbuf(m, ptr, iova, len, &mr->shinfo);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	return m;
}
