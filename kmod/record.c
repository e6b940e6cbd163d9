// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: recordings of a group's first-touch faults (RECORD ioctl).
 *
 * A recording is a file: the fault handler (mem.c) appends one record per
 * first touch the group's pool served or missed (struct
 * shadowalloc_trace_record: time, object offset, folio size, the object's
 * owner), the reader (shadowctl record) takes them with read().
 *
 * The fault path must stay cheap and must never wait for the reader:
 *
 *  - with no recording open it costs one rcu_dereference() of
 *    sa_group.recorder, inside the RCU read section in which the fault
 *    already looked its group up;
 *  - with one open, the record goes into a ring of the current CPU, single
 *    producer (preemption off around the push; faults run in process
 *    context only) and single consumer (the reader, under @read_lock), so
 *    vCPUs faulting on different CPUs never contend. A full ring drops the
 *    record and counts it; the reader reports the count in-band with a
 *    lost-records marker. The reader is woken through an irq_work, and
 *    only when one is waiting, so the fault path takes no lock.
 *
 * Lifetime: sa_group.recorder is RCU-protected. The group forgets its
 * recording when the file is closed (sa_group_record_closed()) or when the
 * group is destroyed (the recording is orphaned: read() returns what is
 * left, then 0); release waits for a grace period, so every fault that
 * still saw the pointer is done with it, before the rings are freed.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/irq_work.h>
#include <linux/module.h>
#include <linux/mutex.h>
#include <linux/percpu.h>
#include <linux/poll.h>
#include <linux/rcupdate.h>
#include <linux/slab.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "shadowalloc.h"

/* Records each CPU's ring holds (24 bytes each): 96 KiB per CPU. */
#define SA_RECORD_CPU_ENTRIES	4096
static_assert(!(SA_RECORD_CPU_ENTRIES & (SA_RECORD_CPU_ENTRIES - 1)));

/* The published layout: the union keeps the offset where gpa was. */
static_assert(sizeof(struct shadowalloc_trace_record) == 24);
static_assert(offsetof(struct shadowalloc_trace_record, offset) == 8 &&
	      offsetof(struct shadowalloc_trace_record, gpa) == 8 &&
	      offsetof(struct shadowalloc_trace_record, vm_pid) == 16);

/* Records read() moves per copy_to_user(). */
#define SA_RECORD_BATCH		32

/**
 * struct sa_record_ring - one CPU's records of a recording
 * @slots: SA_RECORD_CPU_ENTRIES records, allocated on the CPU's node
 * @head: next slot to fill; written by faults on this CPU only, with
 *	preemption off, published with a release store
 * @tail: next slot to read; written by the reader only (under @read_lock),
 *	published with a release store once the slots are copied
 * @lost: records dropped because the ring was full; written by faults on
 *	this CPU only
 * @lost_seen: the part of @lost already reported; the reader's
 */
struct sa_record_ring {
	struct shadowalloc_trace_record *slots;
	unsigned long head;
	unsigned long tail;
	unsigned long lost;
	unsigned long lost_seen;
};

/**
 * struct sa_recorder - an open recording
 * @group_id: the recorded group
 * @rings: one ring per possible CPU
 * @read_lock: serialises readers: one consumer per ring at a time
 * @orphan: the group is gone; no more records will come
 * @wait: readers and pollers waiting for records
 * @wake: wakes @wait from the fault path, which takes no lock
 */
struct sa_recorder {
	u32 group_id;
	struct sa_record_ring __percpu *rings;
	struct mutex read_lock;
	bool orphan;
	wait_queue_head_t wait;
	struct irq_work wake;
};

/**
 * sa_recorder_fault() - record one first touch
 * @group: the group whose pool served or missed it; the caller holds
 *	rcu_read_lock() and found @group there
 * @t_ns: ktime_get_ns() of the fault
 * @offset: byte offset of the folio in its memory object
 * @size: bytes of the folio
 * @owner: the memory object's owner
 *
 * Never sleeps, never waits: a full ring drops the record and counts it.
 */
void sa_recorder_fault(struct sa_group *group, u64 t_ns, u64 offset,
		       u32 size, struct pid *owner)
{
	struct sa_recorder *rec = rcu_dereference(group->recorder);
	struct sa_record_ring *ring;
	unsigned long head;

	if (likely(!rec))
		return;
	ring = get_cpu_ptr(rec->rings);
	head = ring->head;
	/* Pairs with the reader's release of @tail: those slots are read. */
	if (head - smp_load_acquire(&ring->tail) < SA_RECORD_CPU_ENTRIES) {
		ring->slots[head % SA_RECORD_CPU_ENTRIES] =
			(struct shadowalloc_trace_record) {
				.t_ns = t_ns,
				.offset = offset,
				.vm_pid = pid_nr(owner),
				.size = size,
			};
		/* Pairs with the reader's acquire of @head. */
		smp_store_release(&ring->head, head + 1);
	} else {
		WRITE_ONCE(ring->lost, ring->lost + 1);
	}
	put_cpu_ptr(rec->rings);
	/* A full barrier, then a lockless look at the wait queue. */
	if (wq_has_sleeper(&rec->wait))
		irq_work_queue(&rec->wake);
}

static void sa_recorder_wake(struct irq_work *work)
{
	struct sa_recorder *rec = container_of(work, struct sa_recorder, wake);

	wake_up_interruptible(&rec->wait);
}

/**
 * sa_recorder_orphan() - the recording's group is being destroyed
 * @rec: the recording
 *
 * Called under sa_registry_lock; the group forgets @rec right after.
 * Faults that still see it may add records, which a reader takes if it
 * reads again; rec stays allocated until release.
 */
void sa_recorder_orphan(struct sa_recorder *rec)
{
	WRITE_ONCE(rec->orphan, true);
	wake_up_interruptible(&rec->wait);
}

/* Is there something for read() (records, a loss, or the end)? */
static bool sa_recorder_readable(struct sa_recorder *rec)
{
	int cpu;

	if (READ_ONCE(rec->orphan))
		return true;
	for_each_possible_cpu(cpu) {
		struct sa_record_ring *ring = per_cpu_ptr(rec->rings, cpu);

		if (READ_ONCE(ring->head) != READ_ONCE(ring->tail) ||
		    READ_ONCE(ring->lost) != READ_ONCE(ring->lost_seen))
			return true;
	}
	return false;
}

/* Move up to @max records of one ring into @batch; under @read_lock. */
static unsigned int sa_record_ring_pull(struct sa_record_ring *ring,
					struct shadowalloc_trace_record *batch,
					unsigned int max)
{
	/* Pairs with the producer's release: the slots are filled. */
	unsigned long head = smp_load_acquire(&ring->head);
	unsigned long tail = ring->tail;
	unsigned int n = 0;

	while (tail != head && n < max)
		batch[n++] = ring->slots[tail++ % SA_RECORD_CPU_ENTRIES];
	/* Pairs with the producer's acquire: the slots may be reused. */
	smp_store_release(&ring->tail, tail);
	return n;
}

/*
 * Take what is there: every CPU's records in turn, then a marker for the
 * records lost meanwhile, while @count has room. Under @read_lock.
 */
static ssize_t sa_recorder_copy(struct sa_recorder *rec, char __user *buf,
				size_t count)
{
	const size_t rsize = sizeof(struct shadowalloc_trace_record);
	struct shadowalloc_trace_record batch[SA_RECORD_BATCH];
	unsigned int n, want;
	size_t done = 0;
	int cpu;

	for_each_possible_cpu(cpu) {
		struct sa_record_ring *ring = per_cpu_ptr(rec->rings, cpu);

		while (done + rsize <= count) {
			want = min_t(size_t, SA_RECORD_BATCH,
				     (count - done) / rsize);
			n = sa_record_ring_pull(ring, batch, want);
			if (!n)
				break;
			if (copy_to_user(buf + done, batch, n * rsize))
				return done ? done : -EFAULT;
			done += n * rsize;
		}
	}
	if (done + rsize <= count) {
		struct shadowalloc_trace_record marker = {};

		for_each_possible_cpu(cpu) {
			struct sa_record_ring *ring = per_cpu_ptr(rec->rings,
								  cpu);
			unsigned long lost = READ_ONCE(ring->lost);

			marker.lost += lost - ring->lost_seen;
			ring->lost_seen = lost;
		}
		if (marker.lost) {
			if (copy_to_user(buf + done, &marker, rsize))
				return done ? done : -EFAULT;
			done += rsize;
		}
	}
	return done;
}

static ssize_t sa_recorder_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct sa_recorder *rec = file->private_data;
	ssize_t done;
	int ret;

	if (count < sizeof(struct shadowalloc_trace_record))
		return -EINVAL;
	for (;;) {
		if (!sa_recorder_readable(rec)) {
			if (file->f_flags & O_NONBLOCK)
				return -EAGAIN;
			ret = wait_event_interruptible(rec->wait,
						       sa_recorder_readable(rec));
			if (ret)
				return ret;
		}
		if (mutex_lock_interruptible(&rec->read_lock))
			return -ERESTARTSYS;
		done = sa_recorder_copy(rec, buf, count);
		mutex_unlock(&rec->read_lock);
		/* Nothing left and the group gone: the end. */
		if (done || READ_ONCE(rec->orphan))
			return done;
		/* Another reader took it. */
	}
}

static __poll_t sa_recorder_poll(struct file *file, poll_table *wait)
{
	struct sa_recorder *rec = file->private_data;

	poll_wait(file, &rec->wait, wait);
	return sa_recorder_readable(rec) ? EPOLLIN | EPOLLRDNORM : 0;
}

static void sa_recorder_free(struct sa_recorder *rec)
{
	int cpu;

	for_each_possible_cpu(cpu)
		kvfree(per_cpu_ptr(rec->rings, cpu)->slots);
	free_percpu(rec->rings);
	mutex_destroy(&rec->read_lock);
	kfree(rec);
}

static int sa_recorder_release(struct inode *inode, struct file *file)
{
	struct sa_recorder *rec = file->private_data;

	sa_group_record_closed(rec, rec->group_id);
	/* Faults that saw the pointer are done with it after a grace period. */
	synchronize_rcu();
	irq_work_sync(&rec->wake);
	sa_recorder_free(rec);
	return 0;
}

static const struct file_operations sa_recorder_fops = {
	.owner		= THIS_MODULE,
	.read		= sa_recorder_read,
	.poll		= sa_recorder_poll,
	.release	= sa_recorder_release,
	.llseek		= noop_llseek,
};

static struct sa_recorder *sa_recorder_alloc(u32 group_id)
{
	struct sa_recorder *rec;
	int cpu;

	rec = kzalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec)
		return NULL;
	rec->group_id = group_id;
	mutex_init(&rec->read_lock);
	init_waitqueue_head(&rec->wait);
	init_irq_work(&rec->wake, sa_recorder_wake);
	rec->rings = alloc_percpu_gfp(struct sa_record_ring,
				      GFP_KERNEL_ACCOUNT);
	if (!rec->rings)
		goto err;
	for_each_possible_cpu(cpu) {
		struct sa_record_ring *ring = per_cpu_ptr(rec->rings, cpu);

		ring->slots = kvmalloc_node(array_size(SA_RECORD_CPU_ENTRIES,
						       sizeof(*ring->slots)),
					    GFP_KERNEL_ACCOUNT,
					    cpu_to_node(cpu));
		if (!ring->slots)
			goto err;
	}
	return rec;

err:
	if (rec->rings)
		sa_recorder_free(rec);
	else
		kfree(rec);
	return NULL;
}

/**
 * sa_recorder_open() - start a recording of @group
 * @group: the group; the caller holds sa_registry_lock and checked that
 *	the group has no recording
 *
 * Return: a new file descriptor, or -ENOMEM / -EMFILE / -ENFILE.
 */
int sa_recorder_open(struct sa_group *group)
{
	struct sa_recorder *rec;
	int fd;

	rec = sa_recorder_alloc(group->id);
	if (!rec)
		return -ENOMEM;
	fd = anon_inode_getfd("[shadowalloc-record]", &sa_recorder_fops, rec,
			      O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		sa_recorder_free(rec);
		return fd;
	}
	/* Faults see the rings initialised. */
	rcu_assign_pointer(group->recorder, rec);
	return fd;
}
