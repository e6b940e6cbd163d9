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
 * struct sa_mem - a guest memory object (one open of the device)
 * @inode: private inode whose page cache holds the guest memory
 * @owner: thread-group pid of the process that opened the device: the VMM,
 *	whose group membership decides where pages come from
 */
struct sa_mem {
	struct inode *inode;
	struct pid *owner;
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

static const struct address_space_operations sa_aops = {
	.dirty_folio	= noop_dirty_folio,
	.free_folio	= sa_free_folio,
};

/* Count pages a VM gave back (hole punch, release) for its group. */
static void sa_mem_account_discard(struct sa_mem *mem, unsigned long pages)
{
	struct sa_group *group;

	if (!pages)
		return;
	rcu_read_lock();
	group = sa_group_of_vmm_rcu(mem->owner);
	if (group)
		this_cpu_add(group->stats->discarded, pages);
	rcu_read_unlock();
}

/* Free an inode's memory object and pages, on either filesystem. */
static void sa_mem_evict_inode(struct inode *inode)
{
	struct sa_mem *mem = inode->i_private;

	/* The filesystem's root inode has no memory object. */
	if (mem)
		sa_mem_account_discard(mem, inode->i_mapping->nrpages);
	truncate_inode_pages_final(&inode->i_data);
	clear_inode(inode);
	if (mem) {
		put_pid(mem->owner);
		kfree(mem);
	}
}

/*
 * The super operations of both filesystems whose inodes are memory
 * objects, the internal one here and shadowallocfs (fs.c): an inode goes
 * with its last reference (nothing to write back), and takes its object.
 */
const struct super_operations sa_mem_super_ops = {
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
	    vma_thp_disabled(vma, vma->vm_flags) || !pmd_none(*vmf->pmd))
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

/* A staged 4 KiB folio of the VM's group, if it is enabled and has one. */
static struct folio *sa_fault_take_4k(struct sa_mem *mem)
{
	struct folio *folio = NULL;
	struct sa_group *group;

	rcu_read_lock();
	group = sa_group_of_vmm_rcu(mem->owner);
	if (group && READ_ONCE(group->enabled))
		folio = sa_pool_take(&group->pool, SA_CLASS_4K);
	rcu_read_unlock();
	return folio;
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
					struct vm_fault *vmf, pgoff_t *index,
					enum sa_fault_kind *kind)
{
	struct folio *folio = NULL;
	struct sa_group *group;
	pgoff_t huge_index;
	bool grouped = false;
	bool huge = false;

	*kind = SA_FAULT_PLAIN;
	*index = vmf->pgoff;

	rcu_read_lock();
	group = sa_group_of_vmm_rcu(mem->owner);
	if (group && READ_ONCE(group->enabled)) {
		grouped = true;
		*kind = SA_FAULT_MISS;
		huge = READ_ONCE(group->pool.huge) &&
		       sa_fault_huge_ok(vmf, &huge_index);
		if (huge) {
			folio = sa_pool_take(&group->pool, SA_CLASS_2M);
			if (folio) {
				*kind = SA_FAULT_HIT_HUGE;
				*index = huge_index;
			}
		} else {
			folio = sa_pool_take(&group->pool, SA_CLASS_4K);
			if (folio)
				*kind = SA_FAULT_HIT;
		}
	}
	rcu_read_unlock();
	if (folio)
		return folio;

	/* A miss: as anonymous THP would, try 2 MiB without reclaim first. */
	if (huge) {
		folio = sa_alloc_zeroed_folio(SA_CLASS_2M, GFP_TRANSHUGE_LIGHT);
		if (folio) {
			*index = huge_index;
			return folio;
		}
	}
	if (grouped && huge) {
		folio = sa_fault_take_4k(mem);
		if (folio) {
			*kind = SA_FAULT_HIT;
			return folio;
		}
	}
	return sa_alloc_zeroed_folio(SA_CLASS_4K, GFP_HIGHUSER);
}

static void sa_fault_account(struct sa_mem *mem, enum sa_fault_kind kind,
			     long pages, u64 ns)
{
	struct sa_fault_stats __percpu *stats;
	struct sa_group *group;

	if (kind == SA_FAULT_PLAIN) {
		this_cpu_inc(sa_plain_faults);
		return;
	}
	rcu_read_lock();
	group = sa_group_of_vmm_rcu(mem->owner);
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
	}
	rcu_read_unlock();
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
	struct file *file = vmf->vma->vm_file;
	struct address_space *mapping = file->f_mapping;
	struct sa_mem *mem = mapping->host->i_private;
	enum sa_fault_kind kind;
	struct folio *folio;
	u64 start_ns;
	pgoff_t index;
	int err;

	/* Beyond the end of a sized file (shadowallocfs), as for any file. */
	if (vmf->pgoff >= sa_mem_end_index(mapping))
		return VM_FAULT_SIGBUS;

	for (;;) {
		folio = filemap_lock_folio(mapping, vmf->pgoff);
		if (!IS_ERR(folio))
			break;

		start_ns = ktime_get_ns();
		folio = sa_fault_new_folio(mem, vmf, &index, &kind);
		if (!folio)
			return VM_FAULT_OOM;
		__folio_mark_uptodate(folio);
		err = filemap_add_folio(mapping, folio, index, GFP_KERNEL);
		if (!err) {
			atomic_long_add(folio_nr_pages(folio),
					&sa_mem_pages_global);
			sa_fault_account(mem, kind, folio_nr_pages(folio),
					 ktime_get_ns() - start_ns);
			break;
		}
		/* Still zeroed and never mapped: it may go back freely. */
		folio_put(folio);
		if (err != -EEXIST)
			return vmf_error(err);
		/* Another fault filled this index (or part of the range). */
	}

	vmf->page = folio_file_page(folio, vmf->pgoff);
	return VM_FAULT_LOCKED;
}

static const struct vm_operations_struct sa_vm_ops = {
	.fault	= sa_mem_fault,
};

/**
 * sa_mem_mmap() - map a guest memory object
 * @file: the open device
 * @vma: the new mapping
 *
 * Only shared mappings: a private one would copy every written page out of
 * the object on the fault path, the work this module exists to avoid.
 *
 * Return: 0, or -EINVAL for a private mapping.
 */
int sa_mem_mmap(struct file *file, struct vm_area_struct *vma)
{
	if (!(vma->vm_flags & VM_SHARED))
		return -EINVAL;
	vma->vm_ops = &sa_vm_ops;
	file_accessed(file);
	return 0;
}

/**
 * sa_mem_attach() - make an inode a guest memory object
 * @inode: a new inode of either filesystem
 *
 * The calling process becomes the object's owner: its group membership
 * decides where the object's pages come from.
 *
 * Return: 0 or -ENOMEM.
 */
int sa_mem_attach(struct inode *inode)
{
	struct sa_mem *mem;

	mem = kzalloc(sizeof(*mem), GFP_KERNEL_ACCOUNT);
	if (!mem)
		return -ENOMEM;
	mem->inode = inode;
	mem->owner = get_pid(task_tgid(current));
	inode->i_private = mem;
	inode->i_mapping->a_ops = &sa_aops;
	/* Guest RAM is not reclaimable page cache: no backing store. */
	mapping_set_unevictable(inode->i_mapping);
	mapping_set_large_folios(inode->i_mapping);
	return 0;
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
 */
void sa_mem_punch_hole(struct inode *inode, loff_t start, loff_t len)
{
	unsigned long before = inode->i_mapping->nrpages;

	truncate_pagecache_range(inode, start, start + len - 1);
	if (before > inode->i_mapping->nrpages)
		sa_mem_account_discard(inode->i_private,
				       before - inode->i_mapping->nrpages);
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
	ret = sa_mem_attach(inode);
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
