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

/* A frame that pointed into the region was freed. */
static void
mr_frame_freed(void *addr __rte_unused, void *opaque)
{
	struct roce_mr *mr = opaque;

	mr->frames_out--;
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

	if (mr->frames_out != 0)
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

struct rte_mempool *
roce_copy_pool(struct roce_dev *dev)
{
	char name[RTE_MEMPOOL_NAMESIZE];

	if (dev->copy_pool != NULL)
		return dev->copy_pool;
	snprintf(name, sizeof(name), "rc_%.16s", dev->name);
	dev->copy_pool = rte_pktmbuf_pool_create(name, ROCE_COPY_MBUFS, 64, 0,
						 RTE_PKTMBUF_HEADROOM + ROCE_COPY_FRAME_MAX,
						 SOCKET_ID_ANY);
	return dev->copy_pool;
}

/*
 * The device address of @p ptr, and how many of the @p len bytes from it lie
 * at consecutive device addresses. IOVA as VA: all. IOVA as PA: those up to
 * the end of the memory segment, a hugepage, whose successor need not follow
 * it physically; rte_mem_virt2iova() would read /proc/self/pagemap for every
 * frame (vhost WRITE 0.5 GB/s on hugepages, docs/perf.md run H).
 */
static uint32_t
mr_dma_span(struct roce_mr *mr, const uint8_t *ptr, uint32_t len, rte_iova_t *iova)
{
	if (rte_eal_iova_mode() == RTE_IOVA_VA) {
		*iova = (uintptr_t)ptr;
		return len;
	}
	if (!mr->dpdk_mem && !mr->extmem) {
		*iova = RTE_BAD_IOVA;	/* virtual devices copy by address */
		return len;
	}
	if (mr->seg_va == NULL || ptr < mr->seg_va || ptr >= mr->seg_va + mr->seg_len) {
		const struct rte_memseg *ms = rte_mem_virt2memseg(ptr, NULL);

		if (ms == NULL || ms->iova == RTE_BAD_IOVA) {
			/* External memory registered without its IOVAs. */
			*iova = rte_mem_virt2iova(ptr);
			return len;
		}
		mr->seg_va = ms->addr;
		mr->seg_len = ms->len;
		mr->seg_iova = ms->iova;
	}
	*iova = mr->seg_iova + (ptr - mr->seg_va);
	return RTE_MIN(len, (uint32_t)(mr->seg_va + mr->seg_len - ptr));
}

static struct rte_mbuf *
mr_attach_one(struct roce_dev *dev, struct roce_mr *mr, uint8_t *ptr, rte_iova_t iova,
	      uint16_t len)
{
	struct rte_mbuf *m = rte_pktmbuf_alloc(dev->ext_pool);
	struct rte_mbuf_ext_shared_info *shinfo;

	if (m == NULL)
		return NULL;
	/* Each frame has its own shared info, in its mbuf's private area: with
	 * one reference, DPDK frees it without an atomic operation (one per
	 * region took a locked add at every attach and every free). It lives
	 * as long as its mbuf, so frames are never cloned, only copied (the
	 * fault layer and capture copy). */
	shinfo = rte_mbuf_to_priv(m);
	shinfo->free_cb = mr_frame_freed;
	shinfo->fcb_opaque = mr;
	rte_mbuf_ext_refcnt_set(shinfo, 1);
	mr->frames_out++;
	rte_pktmbuf_attach_extbuf(m, ptr, iova, len, shinfo);
	m->data_off = 0;
	m->data_len = len;
	m->pkt_len = len;
	return m;
}

struct rte_mbuf *
roce_mr_attach(struct roce_dev *dev, struct roce_mr *mr, uint8_t *ptr, uint16_t len)
{
	struct rte_mbuf *head = NULL;
	rte_iova_t iova;
	uint16_t n;

	/* One segment per run of consecutive device addresses. */
	for (; len != 0 || head == NULL; ptr += n, len -= n) {
		n = (uint16_t)mr_dma_span(mr, ptr, len, &iova);
		if (roce_chain_append(&head, mr_attach_one(dev, mr, ptr, iova, n)) != 0)
			return NULL;
		if (n < len)
			roce_count(dev, ROCE_CNT_TX_PAGE_SPLIT);
	}
	return head;
}
