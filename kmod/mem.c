// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: guest memory objects, the pages behind mmap of the device.
 *
 * Each open of /dev/shadowalloc creates a memory object: a private inode on
 * an internal pseudo filesystem whose page cache holds the guest's RAM
 * (like a memfd without swap). The file's f_mapping points at it, so the
 * core mm does the rest the normal way: KVM resolves guest addresses with
 * get_user_pages on the VMM's shared mapping, which faults into
 * sa_mem_fault() for a page not yet in the object; unmap_mapping_range()
 * and truncation invalidate every mapping (and, through the MMU notifiers,
 * KVM's); the pages are freed when the last mapping and file are gone.
 *
 * sa_mem_fault() is where the staging pool pays off: a first touch by a VM
 * of an enabled group takes a pre-zeroed folio from the group's pool (a
 * hit) instead of allocating and zeroing one (a miss).
 */
#include <linux/fs.h>
#include <linux/ktime.h>
#include <linux/mempolicy.h>
#include <linux/mm.h>
#include <linux/mount.h>
#include <linux/pagemap.h>
#include <linux/percpu.h>
#include <linux/pid.h>
#include <linux/pseudo_fs.h>
#include <linux/sched.h>
#include <linux/slab.h>

#include "shadowalloc.h"

/* The internal filesystem's magic; shadowallocfs has SHADOWALLOCFS_MAGIC. */
#define SA_MEM_FS_MAGIC		0x5ad0a11c

/* Pages in all memory objects, for leak checks. */
atomic_long_t sa_mem_pages_global = ATOMIC_LONG_INIT(0);

/* Faults of VMs outside any enabled group: allocated and zeroed as usual. */
DEFINE_PER_CPU(u64, sa_plain_faults);

/**
 * struct sa_mem - a guest memory object (an open of the device, or a file
 *	of shadowallocfs)
 * @inode: the inode whose page cache holds the guest memory
 * @owner: thread-group pid of the process that created the object
 * @group_id: the trust group the object is bound to, whose pool serves its
 *	first touches whoever maps it; 0: unbound, it follows @owner's
 *	membership (a VMM that opens /dev/shadowalloc itself). Written with
 *	WRITE_ONCE() by the binding calls, read locklessly by faults
 * @limit: the bounds of the object's filesystem instance, or NULL
 * @launch: the object as a launch of its group (launch.c), or NULL if
 *	that record could not be allocated
 */
struct sa_mem {
	struct inode *inode;
	struct pid *owner;
	u32 group_id;
	struct sa_mem_limit *limit;
	struct sa_launch *launch;
};

static struct vfsmount *sa_mnt;

/* How a fault got its folio. */
enum sa_fault_kind {
	SA_FAULT_PLAIN,		/* no enabled group: allocate and zero */
	SA_FAULT_MISS,		/* enabled group, empty pool: same */
	SA_FAULT_HIT,		/* a staged 4 KiB folio */
	SA_FAULT_HIT_HUGE,	/* a staged 2 MiB folio */
};

/* Called when a folio leaves a memory object's page cache. */
static void sa_free_folio(struct folio *folio)
{
	atomic_long_sub(folio_nr_pages(folio), &sa_mem_pages_global);
}

/*
 * Guest folios are movable: compaction, memory offline, mbind(MPOL_MF_MOVE)
 * and move_pages(2) migrate them (nothing hangs off ->private). NUMA
 * balancing does not: in 6.12 migrate_misplaced_folio_prepare() refuses
 * dirty file folios, and guest pages are dirty for good (no backing
 * store), exactly as shmem/memfd guest RAM's are.
 */
static const struct address_space_operations sa_aops = {
	.dirty_folio	= noop_dirty_folio,
	.free_folio	= sa_free_folio,
	.migrate_folio	= filemap_migrate_folio,
};

/*
 * The group whose pool serves an object's first touches: the one it is
 * bound to, else its creator's. The caller holds rcu_read_lock().
 */
static struct sa_group *sa_mem_group_rcu(struct sa_mem *mem)
{
	u32 id = READ_ONCE(mem->group_id);

	return id ? sa_group_find_rcu(id) : sa_group_of_vmm_rcu(mem->owner);
}

/* Charge @pages to the object's size= bound, if it has one. */
static bool sa_mem_charge(struct sa_mem *mem, long pages)
{
	if (!mem->limit)
		return true;
	if (atomic_long_add_return(pages, &mem->limit->pages) >
	    mem->limit->max_pages) {
		atomic_long_sub(pages, &mem->limit->pages);
		return false;
	}
	return true;
}

static void sa_mem_uncharge(struct sa_mem *mem, long pages)
{
	if (mem->limit)
		atomic_long_sub(pages, &mem->limit->pages);
}

/*
 * Count pages that left a memory object for its group: given back by the
 * VM (hole punch, shrinking ftruncate: @released false) or freed with the
 * object itself (@released true), which is no discard.
 */
static void sa_mem_account_freed(struct sa_mem *mem, unsigned long pages,
				 bool released)
{
	struct sa_group *group;

	if (!pages)
		return;
	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	if (group && released)
		this_cpu_add(group->stats->released, pages);
	else if (group)
		this_cpu_add(group->stats->discarded, pages);
	rcu_read_unlock();
}

/* Free an inode's memory object and pages, on either filesystem. */
void sa_mem_evict_inode(struct inode *inode)
{
	struct sa_mem *mem = inode->i_private;

	/* The filesystem's root inode has no memory object. */
	if (mem) {
		sa_mem_account_freed(mem, inode->i_mapping->nrpages, true);
		sa_mem_uncharge(mem, inode->i_mapping->nrpages);
	}
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (mem) {
		if (mem->limit)
			atomic_long_dec(&mem->limit->objects);
		put_pid(mem->owner);
		sa_launch_gone(mem->launch);
		kfree(mem);
	}
}

/*
 * The super operations of both filesystems whose inodes are memory
 * objects, the internal one here and shadowallocfs (fs.c): an inode goes
 * with its last reference (nothing to write back), and takes its object.
 */
static const struct super_operations sa_mem_super_ops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.evict_inode	= sa_mem_evict_inode,
};

static int sa_mem_init_fs_context(struct fs_context *fc)
{
	struct pseudo_fs_context *ctx;

	ctx = init_pseudo(fc, SA_MEM_FS_MAGIC);
	if (!ctx)
		return -ENOMEM;
	ctx->ops = &sa_mem_super_ops;
	return 0;
}

/*
 * Never registered (so never mountable from userspace) and without an
 * owner: the internal mount must not pin the module.
 */
static struct file_system_type sa_mem_fs_type = {
	.name			= "shadowalloc",
	.init_fs_context	= sa_mem_init_fs_context,
	.kill_sb		= kill_anon_super,
};

/* First page index past the end of a memory object. */
static pgoff_t sa_mem_end_index(struct address_space *mapping)
{
	/* Unsigned: the device's objects are MAX_LFS_FILESIZE long. */
	return ((u64)i_size_read(mapping->host) + PAGE_SIZE - 1) >> PAGE_SHIFT;
}

/* Can this fault be served with a whole 2 MiB folio mapped by a PMD? */
static bool sa_fault_huge_ok(struct vm_fault *vmf, pgoff_t *first)
{
	struct vm_area_struct *vma = vmf->vma;
	unsigned long haddr = vmf->address & HPAGE_PMD_MASK;
	pgoff_t start = vmf->pgoff & ~(pgoff_t)(HPAGE_PMD_NR - 1);
	pgoff_t found = start;

	if (!thp_vma_suitable_order(vma, haddr, PMD_ORDER) ||
	    !pmd_none(*vmf->pmd))
		return false;
	if (start + HPAGE_PMD_NR > sa_mem_end_index(vma->vm_file->f_mapping))
		return false;
	/* Only where the whole aligned 2 MiB of the object is untouched. */
	if (xa_find(&vma->vm_file->f_mapping->i_pages, &found,
		    start + HPAGE_PMD_NR - 1, XA_PRESENT))
		return false;
	*first = start;
	return true;
}

/*
 * Whether a first touch should be served with 2 MiB, the policy: the
 * group's pool allows 2 MiB (POOL_CONFIG huge, the operator's switch), THP
 * is not disabled for the mapping (MADV_NOHUGEPAGE, prctl(PR_SET_THP_DISABLE):
 * vma_thp_disabled()), and the range is expected to be filled: the group's
 * where-predictors see its VMs fill 2 MiB regions, or, before they have
 * seen enough, the VMM said so with MADV_HUGEPAGE (QEMU does for guest RAM,
 * as anonymous THP's "madvise" mode would take it). A sparse verdict wins
 * over the madvise and an unknown one without it gives 4 KiB, because of
 * what was measured (Documentation/benchmarks.rst, "2 MiB or 4 KiB"): a
 * dense guest takes 0.005-0.04 of the 4 KiB time with 2 MiB, a guest
 * touching one page per 2 MiB holds 512 times the memory for nothing and,
 * on misses, takes 7 times as long. Starting from 4 KiB also keeps the
 * density visible to the predictor: a 2 MiB mapping looks full whatever the
 * guest touches in it.
 *
 * The system-wide THP mode (/sys/kernel/mm/transparent_hugepage/enabled)
 * cannot be read here: transparent_hugepage_flags is not exported to
 * modules; the pool's huge switch plays its part for this memory.
 */
static bool sa_fault_huge_wanted(struct vm_fault *vmf, struct sa_group *group)
{
	struct vm_area_struct *vma = vmf->vma;

	if (!READ_ONCE(group->pool.huge) ||
	    vma_thp_disabled(vma, vma->vm_flags))
		return false;
	switch (READ_ONCE(group->density)) {
	case SA_DENSITY_DENSE:
		return true;
	case SA_DENSITY_SPARSE:
		return false;
	default:
		return vma->vm_flags & VM_HUGEPAGE;
	}
}

/*
 * The node a fault's page should come from and, where the policy is a
 * restriction, the nodes it may come from: those of the memory policy that
 * would place a page the allocator gave this fault, the VMA's (mbind(), as
 * QEMU's host-nodes=/policy= sets it) or else the faulting task's. Read
 * here, not through the allocator, so that a staged page is only taken
 * where the allocator would have put a fresh one.
 */
static int sa_fault_policy_node(struct vm_fault *vmf, unsigned int order,
				const nodemask_t **nodes)
{
	/* The nearest node with memory, as the allocator falls back to. */
	int local = numa_mem_id();
#ifdef CONFIG_NUMA
	/* Stable: the VMA is locked, and only this task sets its own. */
	struct mempolicy *pol = vmf->vma->vm_policy ?: current->mempolicy;
	unsigned int nth, i = 0;
	int nid;

	*nodes = NULL;
	if (!pol)
		return local;
	switch (pol->mode) {
	case MPOL_PREFERRED:
		return first_node(pol->nodes);
	case MPOL_BIND:
	case MPOL_PREFERRED_MANY:
		*nodes = &pol->nodes;
		if (pol->home_node != NUMA_NO_NODE &&
		    node_isset(pol->home_node, pol->nodes))
			return pol->home_node;
		return node_isset(local, pol->nodes) ? local :
		       first_node(pol->nodes);
	case MPOL_INTERLEAVE:
	case MPOL_WEIGHTED_INTERLEAVE:
		/*
		 * As interleave_nid() places the folio: the index counts in
		 * folios of the fault's size (get_vma_policy()'s ilx).
		 */
		*nodes = &pol->nodes;
		nth = (vmf->pgoff >> order) % nodes_weight(pol->nodes);
		for_each_node_mask(nid, pol->nodes)
			if (i++ == nth)
				return nid;
		return local;
	default:
		return local;
	}
#else
	*nodes = NULL;
	return local;
#endif
}

/**
 * struct sa_fault_source - where a first touch's folio came from
 * @kind: hit, miss or plain
 * @group_id: the group whose pool a hit drew from, to give it back
 * @class: the size class of a hit's folio
 */
struct sa_fault_source {
	enum sa_fault_kind kind;
	u32 group_id;
	enum sa_size_class class;
};

/*
 * A staged folio of @group's pool, from the node the fault's policy wants;
 * the caller holds rcu_read_lock() and found the group enabled.
 */
static struct folio *sa_fault_take(struct sa_group *group,
				   struct vm_fault *vmf,
				   enum sa_size_class class,
				   struct sa_fault_source *src)
{
	const nodemask_t *nodes;
	struct folio *folio;
	int nid;

	nid = sa_fault_policy_node(vmf, sa_class_order[class], &nodes);
	/* Where and of what size the group's faults want pages. */
	sa_pool_note_demand(&group->pool, nid, class);
	folio = sa_pool_take(&group->pool, class, nid, nodes);
	if (folio) {
		src->kind = class == SA_CLASS_2M ? SA_FAULT_HIT_HUGE :
			    SA_FAULT_HIT;
		src->group_id = group->id;
		src->class = class;
	}
	return folio;
}

/* The same for a fault that looks its VM's group up anew. */
static struct folio *sa_fault_take_4k(struct sa_mem *mem, struct vm_fault *vmf,
				      struct sa_fault_source *src)
{
	struct folio *folio = NULL;
	struct sa_group *group;

	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	if (group && READ_ONCE(group->enabled))
		folio = sa_fault_take(group, vmf, SA_CLASS_4K, src);
	rcu_read_unlock();
	return folio;
}

/*
 * A miss: a zeroed folio from the page allocator, placed by the VMA's
 * memory policy as any file or anonymous fault is, movable so that
 * compaction, memory offline and NUMA balancing can migrate it.
 */
static struct folio *sa_fault_alloc(struct vm_fault *vmf,
				    enum sa_size_class class, gfp_t gfp)
{
	unsigned long addr = vmf->address;

	if (class == SA_CLASS_2M)
		addr &= HPAGE_PMD_MASK;
	return vma_alloc_folio(gfp | __GFP_ZERO, sa_class_order[class],
			       vmf->vma, addr, class == SA_CLASS_2M);
}

/*
 * Get a zeroed folio for a first touch: from the VM's group pool if it is
 * enabled and has one staged, else from the page allocator.
 *
 * Where a whole aligned 2 MiB could be mapped and none is staged, a 2 MiB
 * folio is allocated here (a miss) before a staged 4 KiB page is taken:
 * once a 4 KiB page sits in the range, it can only ever be mapped with
 * 4 KiB entries, and for a nested guest the 511 faults that follow cost far
 * more than zeroing 2 MiB now (measured: a 256 MiB L2 touch 10 s instead
 * of 1.2 s, Documentation/benchmarks.rst).
 */
static struct folio *sa_fault_new_folio(struct sa_mem *mem,
					struct vm_fault *vmf, bool small_only,
					pgoff_t *index,
					struct sa_fault_source *src)
{
	gfp_t gfp = mapping_gfp_mask(vmf->vma->vm_file->f_mapping);
	struct folio *folio = NULL;
	struct sa_group *group;
	pgoff_t huge_index;
	bool huge = false;

	src->kind = SA_FAULT_PLAIN;
	*index = vmf->pgoff;

	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	if (group && READ_ONCE(group->enabled)) {
		src->kind = SA_FAULT_MISS;
		huge = !small_only && sa_fault_huge_wanted(vmf, group) &&
		       sa_fault_huge_ok(vmf, &huge_index);
		folio = sa_fault_take(group, vmf,
				      huge ? SA_CLASS_2M : SA_CLASS_4K, src);
	}
	rcu_read_unlock();
	if (folio) {
		if (huge)
			*index = huge_index;
		return folio;
	}

	/* A miss: as anonymous THP would, try 2 MiB without reclaim first. */
	if (huge) {
		folio = sa_fault_alloc(vmf, SA_CLASS_2M, GFP_TRANSHUGE_LIGHT);
		if (folio) {
			*index = huge_index;
			return folio;
		}
		folio = sa_fault_take_4k(mem, vmf, src);
		if (folio)
			return folio;
	}
	return sa_fault_alloc(vmf, SA_CLASS_4K, gfp);
}

/*
 * Count a first touch for the object's group and, if a recording of the
 * group is open, record it (the same events, record.c).
 */
static void sa_fault_account(struct sa_mem *mem, enum sa_fault_kind kind,
			     struct folio *folio, u64 start_ns)
{
	long pages = folio_nr_pages(folio);
	u64 ns = ktime_get_ns() - start_ns;
	struct sa_fault_stats __percpu *stats;
	struct sa_group *group;

	if (kind == SA_FAULT_PLAIN) {
		this_cpu_inc(sa_plain_faults);
		return;
	}
	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	if (group) {
		stats = group->stats;
		if (kind == SA_FAULT_MISS) {
			this_cpu_inc(stats->misses);
			this_cpu_add(stats->miss_pages, pages);
			this_cpu_add(stats->miss_ns, ns);
		} else {
			this_cpu_inc(stats->hits);
			this_cpu_add(stats->hit_ns, ns);
			if (kind == SA_FAULT_HIT_HUGE)
				this_cpu_inc(stats->hits_huge);
		}
		sa_fault_hist_account(group, kind != SA_FAULT_MISS,
				      folio_test_large(folio), ns);
		sa_recorder_fault(group, start_ns, folio_pos(folio),
				  folio_size(folio), mem->owner);
		sa_launch_account(group, mem->launch, pages);
	}
	rcu_read_unlock();
}

/*
 * A first touch could not insert its folio (another fault of the page got
 * there first, or the insertion failed): the folio is still zeroed and
 * was never mapped. A staged one goes back to its pool, if the VM is still
 * in that group, so no zeroing work is lost and staged pages stay counted.
 */
static void sa_fault_give_back(struct sa_mem *mem, struct folio *folio,
			       const struct sa_fault_source *src, int err)
{
	struct sa_group *group;

	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	if (group && err == -EEXIST && src->kind != SA_FAULT_PLAIN)
		this_cpu_inc(group->stats->raced);
	if (group && group->id == src->group_id &&
	    (src->kind == SA_FAULT_HIT || src->kind == SA_FAULT_HIT_HUGE)) {
		sa_pool_return(&group->pool, src->class, folio);
		folio = NULL;
	}
	rcu_read_unlock();
	if (folio)
		folio_put(folio);
}

/*
 * Insert a zeroed folio for a first touch of @vmf->pgoff, or find the one
 * a racing fault inserted. Under the mapping's invalidate lock, shared, as
 * filemap_fault() reads a page in: a hole punch or truncation holds it
 * exclusively while it removes pages, so nothing is inserted into a range
 * it has emptied, and i_size is checked again under the lock.
 */
static vm_fault_t sa_fault_insert(struct sa_mem *mem, struct vm_fault *vmf,
				  struct folio **foliop)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct sa_fault_source src;
	bool small_only = false;
	vm_fault_t ret = 0;
	struct folio *folio;
	u64 start_ns;
	pgoff_t index;
	int err;

	filemap_invalidate_lock_shared(mapping);
	for (;;) {
		if (vmf->pgoff >= sa_mem_end_index(mapping)) {
			ret = VM_FAULT_SIGBUS;
			break;
		}
		folio = filemap_lock_folio(mapping, vmf->pgoff);
		if (!IS_ERR(folio))
			break;

		start_ns = ktime_get_ns();
		folio = sa_fault_new_folio(mem, vmf, small_only, &index, &src);
		if (!folio) {
			ret = VM_FAULT_OOM;
			break;
		}
		if (!sa_mem_charge(mem, folio_nr_pages(folio))) {
			bool large = folio_test_large(folio);

			sa_fault_give_back(mem, folio, &src, -ENOSPC);
			/* No room for 2 MiB: 4 KiB may fit, as tmpfs falls back. */
			if (large && !small_only) {
				small_only = true;
				continue;
			}
			/* The mount's size= is reached: -ENOSPC, as tmpfs. */
			ret = VM_FAULT_SIGBUS;
			break;
		}
		__folio_mark_uptodate(folio);
		/* Charges the folio to the faulting task's memcg. */
		err = filemap_add_folio(mapping, folio, index, GFP_KERNEL);
		if (!err) {
			/*
			 * Dirty from the start, a read fault's page too: a
			 * clean unmapped folio would be dropped by drop_caches
			 * (mapping_evict_folio()), behind the size= charge.
			 */
			folio_mark_dirty(folio);
			atomic_long_add(folio_nr_pages(folio),
					&sa_mem_pages_global);
			sa_fault_account(mem, src.kind, folio, start_ns);
			break;
		}
		sa_mem_uncharge(mem, folio_nr_pages(folio));
		sa_fault_give_back(mem, folio, &src, err);
		if (err != -EEXIST) {
			ret = vmf_error(err);
			break;
		}
		/* Another fault filled this index (or part of the range). */
	}
	filemap_invalidate_unlock_shared(mapping);
	*foliop = folio;
	return ret;
}

/**
 * sa_mem_fault() - serve a page of a guest memory object
 * @vmf: the fault
 *
 * A page already in the object is returned as is. A first touch gets a
 * zeroed folio (see sa_fault_new_folio()) inserted into the object.
 *
 * Return: VM_FAULT_LOCKED with vmf->page set, or a VM_FAULT_ error.
 */
static vm_fault_t sa_mem_fault(struct vm_fault *vmf)
{
	struct address_space *mapping = vmf->vma->vm_file->f_mapping;
	struct folio *folio;
	vm_fault_t ret;

	folio = filemap_lock_folio(mapping, vmf->pgoff);
	if (IS_ERR(folio)) {
		ret = sa_fault_insert(mapping->host->i_private, vmf, &folio);
		if (ret)
			return ret;
	}
	/*
	 * Truncation shrinks i_size before it removes pages, each under its
	 * folio lock: seen here, a folio past the new end is on its way out.
	 */
	if (unlikely(vmf->pgoff >= sa_mem_end_index(mapping))) {
		folio_unlock(folio);
		folio_put(folio);
		return VM_FAULT_SIGBUS;
	}
	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED;
}

/*
 * .map_pages maps the pages already in the object around a fault without
 * taking their locks (fault-around), and lets a fault under the per-VMA
 * lock finish without falling back to mmap_lock.
 */
static const struct vm_operations_struct sa_vm_ops = {
	.fault		= sa_mem_fault,
	.map_pages	= filemap_map_pages,
};

/**
 * sa_mem_mmap() - map a guest memory object
 * @file: the open device
 * @vma: the new mapping
 *
 * Only shared mappings: a private one would copy every written page out of
 * the object on the fault path, the work this module exists to avoid.
 * VM_MAYSHARE, not VM_SHARED: a MAP_SHARED mapping of a read-only file
 * descriptor has only the former, and is as shared.
 *
 * Return: 0, or -EINVAL for a private mapping.
 */
int sa_mem_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_MAYSHARE))
		return -EINVAL;
	vma->vm_ops = &sa_vm_ops;
	file_accessed(file);
	return 0;
}

static struct sa_mem *sa_mem_of_file(struct file *file)
{
	return file->f_mapping->host->i_private;
}

/**
 * sa_mem_binding() - report a memory object's group binding
 * @file: a memory file (an open of the device, or a shadowallocfs file)
 * @arg: filled: group_id, serving_group_id, pages
 */
void sa_mem_binding(struct file *file, struct shadowalloc_mem_bind *arg)
{
	struct sa_mem *mem = sa_mem_of_file(file);
	struct sa_group *group;

	arg->group_id = READ_ONCE(mem->group_id);
	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	arg->serving_group_id = group ? group->id : 0;
	rcu_read_unlock();
	arg->pages = file->f_mapping->nrpages;
}

/**
 * sa_mem_bind() - bind a memory object to a group, or unbind it
 * @file: a memory file
 * @arg: group_id: the group, which must exist, or 0; filled as by
 *	sa_mem_binding() on success
 *
 * Faults after the call take their pages from the new group's pool; pages
 * already in the object stay. A binding names a group id: if that group is
 * destroyed, the object's first touches are plain until the id is created
 * again or the object is bound elsewhere.
 *
 * Return: 0, -EINVAL (an id out of range), -ENOENT (no such group).
 */
int sa_mem_bind(struct file *file, struct shadowalloc_mem_bind *arg)
{
	u32 id = arg->group_id;
	bool found;

	if (id && !sa_group_id_valid(id))
		return -EINVAL;
	if (id) {
		rcu_read_lock();
		found = sa_group_find_rcu(id);
		rcu_read_unlock();
		if (!found)
			return -ENOENT;
	}
	WRITE_ONCE(sa_mem_of_file(file)->group_id, id);
	sa_mem_binding(file, arg);
	return 0;
}

/**
 * sa_mem_bind_mapped() - rebind the memory objects a process maps
 * @pid: the process (a VMM joining or leaving a group)
 * @from_id: only objects bound to this group, or SA_MEM_ANY_GROUP
 * @to_id: the new binding, 0 to unbind
 *
 * The objects a VMM maps are its guest RAM, whoever created them (fd
 * passing): joining a group moves them with the VMM. Takes the process's
 * mmap_lock for reading; the caller holds no lock of this module.
 */
void sa_mem_bind_mapped(struct pid *pid, u32 from_id, u32 to_id)
{
	struct vm_area_struct *vma;
	struct task_struct *task;
	struct mm_struct *mm;
	struct vma_iterator vmi;
	struct sa_mem *mem;

	task = get_pid_task(pid, PIDTYPE_TGID);
	if (!task)
		return;
	mm = get_task_mm(task);
	put_task_struct(task);
	if (!mm)
		return;
	mmap_read_lock(mm);
	vma_iter_init(&vmi, mm, 0);
	for_each_vma(vmi, vma) {
		if (vma->vm_ops != &sa_vm_ops)
			continue;
		mem = sa_mem_of_file(vma->vm_file);
		if (from_id == SA_MEM_ANY_GROUP)
			WRITE_ONCE(mem->group_id, to_id);
		else
			cmpxchg(&mem->group_id, from_id, to_id);
	}
	mmap_read_unlock(mm);
	mmput(mm);
}

/**
 * sa_mem_attach() - make an inode a guest memory object
 * @inode: a new inode of either filesystem
 * @limit: the bounds it counts against, or NULL
 * @group_id: the group it is bound to, or 0 to follow its creator's
 *
 * The calling process becomes the object's creator (@mem->owner).
 *
 * Return: 0 or -ENOMEM.
 */
int sa_mem_attach(struct inode *inode, struct sa_mem_limit *limit,
		  u32 group_id)
{
	struct sa_group *group;
	struct sa_mem *mem;

	mem = kzalloc(sizeof(*mem), GFP_KERNEL_ACCOUNT);
	if (!mem)
		return -ENOMEM;
	mem->inode = inode;
	mem->owner = get_pid(task_tgid(current));
	mem->group_id = group_id;
	mem->limit = limit;
	/* without a record the object is just never a launch */
	mem->launch = sa_launch_new();
	rcu_read_lock();
	group = sa_mem_group_rcu(mem);
	if (group && READ_ONCE(group->enabled))
		sa_launch_created(group, mem->launch);
	rcu_read_unlock();
	inode->i_private = mem;
	inode->i_mapping->a_ops = &sa_aops;
	/* Guest RAM is not reclaimable page cache: no backing store. */
	mapping_set_unevictable(inode->i_mapping);
	mapping_set_large_folios(inode->i_mapping);
	return 0;
}

/*
 * Times a truncation is tried again while a 2 MiB folio it cuts into keeps
 * pages inside the range (see sa_mem_truncate_locked()).
 */
#define SA_TRUNCATE_TRIES	10

/* Whether a page of the object lies wholly inside [@start, @end]. */
static bool sa_mem_range_populated(struct address_space *mapping,
				   loff_t start, loff_t end)
{
	pgoff_t first = DIV_ROUND_UP(start, PAGE_SIZE);
	pgoff_t last = (end + 1) >> PAGE_SHIFT;	/* exclusive */

	if (last <= first)
		return false;
	return xa_find(&mapping->i_pages, &first, last - 1, XA_PRESENT);
}

/*
 * Remove pages and count what the VM gave back; invalidate lock held.
 *
 * A 2 MiB folio that the range only cuts into is split by the truncation,
 * but the split fails while a fault holds a reference to the folio (a vCPU
 * of the running guest waits for its lock): then the whole folio stays,
 * pages inside the range included (past the new end of a shrink, measured:
 * 253 of 512). The fault sees the new i_size once the lock is free and
 * lets go; so the truncation is tried again, a tick later, a bounded
 * number of times.
 */
static void sa_mem_truncate_locked(struct inode *inode, loff_t start,
				   loff_t end)
{
	unsigned long before = inode->i_mapping->nrpages;
	unsigned long freed;
	int tries = 0;

	truncate_pagecache_range(inode, start, end);
	while (sa_mem_range_populated(inode->i_mapping, start, end) &&
	       ++tries < SA_TRUNCATE_TRIES) {
		schedule_timeout_uninterruptible(1);
		truncate_pagecache_range(inode, start, end);
	}
	/* Exact: no first touch inserts while the invalidate lock is held. */
	freed = before - inode->i_mapping->nrpages;
	sa_mem_account_freed(inode->i_private, freed, false);
	sa_mem_uncharge(inode->i_private, freed);
}

/* Pages past @size of the folio that holds the last page before it. */
static long sa_mem_past_end(struct address_space *mapping, loff_t size)
{
	pgoff_t end = DIV_ROUND_UP(size, PAGE_SIZE);
	struct folio *folio;
	long past = 0;

	if (!end)
		return 0;
	folio = filemap_get_folio(mapping, end - 1);
	if (IS_ERR(folio))
		return 0;
	if (folio_next_index(folio) > end)
		past = folio_next_index(folio) - end;
	folio_put(folio);
	return past;
}

/**
 * sa_mem_punch_hole() - give a range of a memory object back
 * @inode: the object
 * @start: first byte
 * @len: length in bytes
 *
 * Unmaps the range from every mapping (and so from KVM, through its MMU
 * notifier) and frees its pages; touched again, it reads as zeroes, from a
 * freshly zeroed page. Partial pages at the edges are zeroed in place.
 * Holds the invalidate lock throughout, so no fault refills the range
 * while it is being emptied (see sa_fault_insert()).
 */
void sa_mem_punch_hole(struct inode *inode, loff_t start, loff_t len)
{
	filemap_invalidate_lock(inode->i_mapping);
	sa_mem_truncate_locked(inode, start, start + len - 1);
	filemap_invalidate_unlock(inode->i_mapping);
}

/**
 * sa_mem_set_size() - resize a memory object (ftruncate)
 * @inode: the object, i_rwsem held
 * @size: the new size in bytes
 *
 * A shrink gives the pages past the new end back. i_size changes under the
 * invalidate lock, which a first touch re-checks it under.
 */
void sa_mem_set_size(struct inode *inode, loff_t size)
{
	loff_t old = i_size_read(inode);
	long tail;

	filemap_invalidate_lock(inode->i_mapping);
	i_size_write(inode, size);
	if (size < old) {
		tail = sa_mem_past_end(inode->i_mapping, size);
		sa_mem_truncate_locked(inode, size, old - 1);
		/*
		 * Splitting a folio that crosses the new end drops its pages
		 * past the end straight from the page cache: ->free_folio()
		 * never sees them.
		 */
		tail -= sa_mem_past_end(inode->i_mapping, size);
		if (tail > 0)
			atomic_long_sub(tail, &sa_mem_pages_global);
	} else {
		pagecache_isize_extended(inode, old, size);
	}
	filemap_invalidate_unlock(inode->i_mapping);
}

/**
 * sa_mem_open() - create the memory object of a new open of the device
 * @file: the file being opened
 *
 * Return: 0 or a negative errno.
 */
int sa_mem_open(struct file *file)
{
	struct inode *inode;
	int ret;

	inode = alloc_anon_inode(sa_mnt->mnt_sb);
	if (IS_ERR(inode))
		return PTR_ERR(inode);
	ret = sa_mem_attach(inode, NULL, 0);
	if (ret) {
		iput(inode);
		return ret;
	}
	/* Sparse and as large as a file can be: pages exist once touched. */
	i_size_write(inode, MAX_LFS_FILESIZE);
	file->f_mapping = inode->i_mapping;
	file->private_data = inode->i_private;
	return 0;
}

/**
 * sa_mem_release() - drop a file's memory object
 * @file: the file being released
 *
 * Called when the last mapping and descriptor are gone; the object's pages
 * are freed with its inode.
 */
void sa_mem_release(struct file *file)
{
	iput(file->f_mapping->host);
}

/**
 * sa_mem_init() - mount the internal filesystem of memory objects
 *
 * Return: 0 or a negative errno.
 */
int sa_mem_init(void)
{
	sa_mnt = kern_mount(&sa_mem_fs_type);
	return PTR_ERR_OR_ZERO(sa_mnt);
}

/**
 * sa_mem_exit() - unmount it; no object can be left (each pins the module)
 */
void sa_mem_exit(void)
{
	kern_unmount(sa_mnt);
}
