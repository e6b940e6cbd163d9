// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: recordings of a group's first-touch faults (RECORD ioctl).
 *
 * A recording is a file: the telemetry drain worker appends one record per
 * mapping KVM installed for a VM of the group (struct
 * shadowalloc_trace_record) to a bounded FIFO, the reader (shadowctl
 * record) takes them with read(). A slow reader loses records, never
 * slows the drain: the loss is reported in-band by a marker record. When
 * the group is destroyed the recording is orphaned: read() returns what is
 * left, then 0.
 */
#include <linux/anon_inodes.h>
#include <linux/fs.h>
#include <linux/kfifo.h>
#include <linux/module.h>
#include <linux/poll.h>
#include <linux/slab.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/wait.h>

#include "shadowalloc.h"

/* Records a recording buffers (24 bytes each): an order-7 allocation. */
#define SA_RECORD_ENTRIES	8192

/**
 * struct sa_recorder - an open recording
 * @group_id: the recorded group
 * @lock: protects @fifo, @lost and @orphan; the drain worker (writer) and
 *	readers take it, both in process context, for a few records at a time
 * @fifo: records not read yet
 * @lost: records dropped since the last lost marker was queued
 * @orphan: the group is gone; no more records will come
 * @wait: readers waiting for records
 */
struct sa_recorder {
	u32 group_id;
	spinlock_t lock;
	DECLARE_KFIFO_PTR(fifo, struct shadowalloc_trace_record);
	u64 lost;
	bool orphan;
	wait_queue_head_t wait;
};

/* Queue the pending lost marker, if any and if there is room. */
static void sa_recorder_flush_lost(struct sa_recorder *rec)
{
	struct shadowalloc_trace_record marker = {};

	lockdep_assert_held(&rec->lock);
	if (!rec->lost || kfifo_is_full(&rec->fifo))
		return;
	marker.gpa = rec->lost;
	kfifo_put(&rec->fifo, marker);
	rec->lost = 0;
}

/**
 * sa_recorder_push() - append one mapping event to a recording
 * @rec: the recording
 * @ev: a SHADOWALLOC_BPF_MAPPING event of the recording's group
 *
 * Called by the drain worker under sa_registry_lock.
 */
void sa_recorder_push(struct sa_recorder *rec,
		      const struct sa_telemetry_event *ev)
{
	struct shadowalloc_trace_record r = {
		.t_ns = ev->ts_ns,
		.gpa = ev->gpa,
		.vm_pid = ev->vm_pid,
		.size = sa_level_pages(ev->level) << PAGE_SHIFT,
	};

	spin_lock(&rec->lock);
	sa_recorder_flush_lost(rec);
	if (rec->lost || !kfifo_put(&rec->fifo, r))
		rec->lost++;
	spin_unlock(&rec->lock);
	wake_up_interruptible(&rec->wait);
}

/**
 * sa_recorder_orphan() - the recording's group is being destroyed
 * @rec: the recording
 *
 * Called under sa_registry_lock; the group forgets @rec right after.
 */
void sa_recorder_orphan(struct sa_recorder *rec)
{
	spin_lock(&rec->lock);
	rec->orphan = true;
	spin_unlock(&rec->lock);
	wake_up_interruptible(&rec->wait);
}

static bool sa_recorder_readable(struct sa_recorder *rec)
{
	bool ready;

	spin_lock(&rec->lock);
	ready = !kfifo_is_empty(&rec->fifo) || rec->lost || rec->orphan;
	spin_unlock(&rec->lock);
	return ready;
}

static ssize_t sa_recorder_read(struct file *file, char __user *buf,
				size_t count, loff_t *ppos)
{
	struct sa_recorder *rec = file->private_data;
	struct shadowalloc_trace_record batch[32];
	unsigned int n, want;
	size_t done = 0;
	int ret;

	if (count < sizeof(batch[0]))
		return -EINVAL;
	while (!sa_recorder_readable(rec)) {
		if (file->f_flags & O_NONBLOCK)
			return -EAGAIN;
		ret = wait_event_interruptible(rec->wait,
					       sa_recorder_readable(rec));
		if (ret)
			return ret;
	}
	while (done + sizeof(batch[0]) <= count) {
		want = min_t(size_t, ARRAY_SIZE(batch),
			     (count - done) / sizeof(batch[0]));
		spin_lock(&rec->lock);
		n = kfifo_out(&rec->fifo, batch, want);
		sa_recorder_flush_lost(rec);
		spin_unlock(&rec->lock);
		if (!n)
			break;
		if (copy_to_user(buf + done, batch, n * sizeof(batch[0])))
			return done ? done : -EFAULT;
		done += n * sizeof(batch[0]);
	}
	return done;
}

static __poll_t sa_recorder_poll(struct file *file, poll_table *wait)
{
	struct sa_recorder *rec = file->private_data;

	poll_wait(file, &rec->wait, wait);
	return sa_recorder_readable(rec) ? EPOLLIN | EPOLLRDNORM : 0;
}

static int sa_recorder_release(struct inode *inode, struct file *file)
{
	struct sa_recorder *rec = file->private_data;

	sa_group_record_closed(rec, rec->group_id);
	kfifo_free(&rec->fifo);
	kfree(rec);
	return 0;
}

static const struct file_operations sa_recorder_fops = {
	.owner		= THIS_MODULE,
	.read		= sa_recorder_read,
	.poll		= sa_recorder_poll,
	.release	= sa_recorder_release,
	.llseek		= noop_llseek,
};

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

	rec = kzalloc(sizeof(*rec), GFP_KERNEL_ACCOUNT);
	if (!rec)
		return -ENOMEM;
	rec->group_id = group->id;
	spin_lock_init(&rec->lock);
	init_waitqueue_head(&rec->wait);
	if (kfifo_alloc(&rec->fifo, SA_RECORD_ENTRIES, GFP_KERNEL_ACCOUNT)) {
		fd = -ENOMEM;
		goto err_free;
	}
	fd = anon_inode_getfd("[shadowalloc-record]", &sa_recorder_fops, rec,
			      O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		goto err_fifo;
	group->recorder = rec;
	return fd;

err_fifo:
	kfifo_free(&rec->fifo);
err_free:
	kfree(rec);
	return fd;
}
