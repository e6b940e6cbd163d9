// SPDX-License-Identifier: GPL-2.0
/*
 * shadowalloc: shadowallocfs, guest memory objects as regular files.
 *
 * The device serves a VMM that only maps memory. A VMM that also gives
 * memory back (balloon, virtio-mem, discard) punches holes with
 * fallocate(), which the VFS refuses for character devices before any
 * driver sees it. On this filesystem every regular file is the same kind of
 * guest memory object as an open of the device, with a size (ftruncate) and
 * hole punching:
 *
 *	mount -t shadowallocfs none /run/shadowalloc
 *	qemu ... -object memory-backend-file,mem-path=/run/shadowalloc,...
 *
 * A flat directory, no subdirectories: QEMU creates, maps and unlinks.
 *
 * Mount options (a mount is a trust boundary: see
 * Documentation/threat-model.rst):
 *
 *	mode=	root directory mode, octal (default 0755: only the owner creates)
 *	uid=, gid=	root directory owner (default: the mounter)
 *	size=	bytes of guest memory all files together may hold, with a k, m
 *		or g suffix (default half of RAM, as tmpfs); a first touch
 *		beyond it gets SIGBUS (the -ENOSPC of a fault)
 *	nr_inodes=	files at most (default: half of RAM in pages); creating
 *		one more fails with -ENOSPC
 *	group=	trust group the files created here belong to: their first
 *		touches are served from its pool whoever maps them (fd passing,
 *		QEMU mem-path=/dev/fd/N); without it a file follows its
 *		creator's group
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/fs_context.h>
#include <linux/fs_parser.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>
#include <linux/seq_file.h>
#include <linux/slab.h>

#include "shadowalloc.h"

/**
 * struct sa_fs_info - a shadowallocfs instance (the superblock's s_fs_info)
 * @limit: the size= and nr_inodes= bounds on its files, shared with every
 *	file's memory object, which counts itself and its pages in it
 * @mode: mode= of the root directory
 * @uid: uid= of the root directory
 * @gid: gid= of the root directory
 * @group_id: group= the files are bound to, 0 for none
 */
struct sa_fs_info {
	struct sa_mem_limit limit;
	umode_t mode;
	kuid_t uid;
	kgid_t gid;
	u32 group_id;
};

enum sa_fs_param {
	SA_FS_OPT_MODE,
	SA_FS_OPT_UID,
	SA_FS_OPT_GID,
	SA_FS_OPT_SIZE,
	SA_FS_OPT_NR_INODES,
	SA_FS_OPT_GROUP,
};

static const struct fs_parameter_spec sa_fs_params[] = {
	fsparam_u32oct("mode",		SA_FS_OPT_MODE),
	fsparam_uid("uid",		SA_FS_OPT_UID),
	fsparam_gid("gid",		SA_FS_OPT_GID),
	fsparam_string("size",		SA_FS_OPT_SIZE),
	fsparam_string("nr_inodes",	SA_FS_OPT_NR_INODES),
	fsparam_u32("group",		SA_FS_OPT_GROUP),
	{}
};

/* A count with an optional k/m/g suffix, all of the string, not zero. */
static int sa_fs_parse_count(struct fs_context *fc, const char *key,
			     const char *str, unsigned long long *out)
{
	char *end;

	*out = memparse(str, &end);
	if (*end || end == str || !*out)
		return invalfc(fc, "%s=%s: a positive number, k/m/g suffix allowed",
			       key, str);
	return 0;
}

static int sa_fs_parse_param(struct fs_context *fc, struct fs_parameter *param)
{
	struct sa_fs_info *info = fc->s_fs_info;
	struct fs_parse_result result;
	unsigned long long n;
	int opt, ret;

	opt = fs_parse(fc, sa_fs_params, param, &result);
	if (opt < 0)
		return opt;
	switch (opt) {
	case SA_FS_OPT_MODE:
		if (result.uint_32 & ~07777)
			return invalfc(fc, "mode=%o: permission bits only",
				       result.uint_32);
		info->mode = result.uint_32;
		break;
	case SA_FS_OPT_UID:
		info->uid = result.uid;
		break;
	case SA_FS_OPT_GID:
		info->gid = result.gid;
		break;
	case SA_FS_OPT_SIZE:
		ret = sa_fs_parse_count(fc, "size", param->string, &n);
		if (ret)
			return ret;
		if (n < PAGE_SIZE || n / PAGE_SIZE > totalram_pages())
			return invalfc(fc, "size=%s: from one page to all of RAM (%lu KiB)",
				       param->string,
				       totalram_pages() << (PAGE_SHIFT - 10));
		info->limit.max_pages = n / PAGE_SIZE;
		break;
	case SA_FS_OPT_NR_INODES:
		ret = sa_fs_parse_count(fc, "nr_inodes", param->string, &n);
		if (ret)
			return ret;
		if (n > INT_MAX)
			return invalfc(fc, "nr_inodes=%s: at most %d",
				       param->string, INT_MAX);
		info->limit.max_objects = n;
		break;
	case SA_FS_OPT_GROUP:
		if (!sa_group_id_valid(result.uint_32))
			return invalfc(fc, "group=%u: a group id, %u..%u",
				       result.uint_32, SHADOWALLOC_GROUP_ID_MIN,
				       SHADOWALLOC_GROUP_ID_MAX);
		info->group_id = result.uint_32;
		break;
	}
	return 0;
}

static int sa_fs_setattr(struct mnt_idmap *idmap, struct dentry *dentry,
			 struct iattr *attr)
{
	struct inode *inode = d_inode(dentry);
	int ret;

	ret = setattr_prepare(idmap, dentry, attr);
	if (ret)
		return ret;
	if (attr->ia_valid & ATTR_SIZE)
		sa_mem_set_size(inode, attr->ia_size);
	setattr_copy(idmap, inode, attr);
	return 0;
}

/* Only hole punching: memory is allocated by touching it. */
static long sa_fs_fallocate(struct file *file, int mode, loff_t offset,
			    loff_t len)
{
	struct inode *inode = file_inode(file);

	if (mode != (FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE))
		return -EOPNOTSUPP;
	inode_lock(inode);
	sa_mem_punch_hole(inode, offset, len);
	inode_unlock(inode);
	return 0;
}

static const struct inode_operations sa_fs_file_iops = {
	.setattr	= sa_fs_setattr,
	.getattr	= simple_getattr,
};

static const struct file_operations sa_fs_file_fops = {
	.owner			= THIS_MODULE,
	.mmap			= sa_mem_mmap,
	.get_unmapped_area	= thp_get_unmapped_area,
	.fallocate		= sa_fs_fallocate,
	.unlocked_ioctl		= sa_mem_file_ioctl,
	.compat_ioctl		= compat_ptr_ioctl,
	.llseek			= generic_file_llseek,
	.fsync			= noop_fsync,
};

static int sa_fs_create(struct mnt_idmap *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode, bool excl)
{
	struct sa_fs_info *info = dir->i_sb->s_fs_info;
	struct inode *inode;
	int ret;

	if (atomic_long_inc_return(&info->limit.objects) >
	    info->limit.max_objects) {
		ret = -ENOSPC;
		goto err_count;
	}
	inode = new_inode(dir->i_sb);
	if (!inode) {
		ret = -ENOMEM;
		goto err_count;
	}
	inode->i_ino = get_next_ino();
	inode_init_owner(idmap, inode, dir, S_IFREG | (mode & 07777));
	simple_inode_init_ts(inode);
	inode->i_op = &sa_fs_file_iops;
	inode->i_fop = &sa_fs_file_fops;
	ret = sa_mem_attach(inode, &info->limit, info->group_id);
	if (ret) {
		iput(inode);
		goto err_count;
	}
	d_instantiate(dentry, inode);
	dget(dentry);	/* pinned until unlink, as in ramfs */
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
	return 0;

err_count:
	atomic_long_dec(&info->limit.objects);
	return ret;
}

static const struct inode_operations sa_fs_dir_iops = {
	.create		= sa_fs_create,
	.lookup		= simple_lookup,
	.unlink		= simple_unlink,
};

/*
 * The mount's options in /proc/mounts, as tmpfs shows its own: every
 * bound a mount has (mode=, size= in KiB, nr_inodes=), the owner where it
 * is not root, group= where set. What an operator (and shadowctl apply)
 * reads back to compare a mount with what it should be.
 */
static int sa_fs_show_options(struct seq_file *m, struct dentry *root)
{
	struct sa_fs_info *info = root->d_sb->s_fs_info;

	seq_printf(m, ",mode=%03o", info->mode);
	if (!uid_eq(info->uid, GLOBAL_ROOT_UID))
		seq_printf(m, ",uid=%u",
			   from_kuid_munged(seq_user_ns(m), info->uid));
	if (!gid_eq(info->gid, GLOBAL_ROOT_GID))
		seq_printf(m, ",gid=%u",
			   from_kgid_munged(seq_user_ns(m), info->gid));
	seq_printf(m, ",size=%luk,nr_inodes=%lu",
		   info->limit.max_pages << (PAGE_SHIFT - 10),
		   info->limit.max_objects);
	if (info->group_id)
		seq_printf(m, ",group=%u", info->group_id);
	return 0;
}

/* The memory objects' operations (mem.c), and the mount's options. */
static const struct super_operations sa_fs_super_ops = {
	.statfs		= simple_statfs,
	.drop_inode	= generic_delete_inode,
	.evict_inode	= sa_mem_evict_inode,
	.show_options	= sa_fs_show_options,
};

static int sa_fs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	/* sget_fc() moved fc->s_fs_info here. */
	struct sa_fs_info *info = sb->s_fs_info;
	struct inode *root;

	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = SHADOWALLOCFS_MAGIC;
	sb->s_op = &sa_fs_super_ops;
	sb->s_time_gran = 1;

	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	root->i_ino = get_next_ino();
	root->i_mode = S_IFDIR | info->mode;
	root->i_uid = info->uid;
	root->i_gid = info->gid;
	simple_inode_init_ts(root);
	root->i_op = &sa_fs_dir_iops;
	root->i_fop = &simple_dir_operations;
	inc_nlink(root);
	sb->s_root = d_make_root(root);
	return sb->s_root ? 0 : -ENOMEM;
}

static int sa_fs_get_tree(struct fs_context *fc)
{
	return get_tree_nodev(fc, sa_fs_fill_super);
}

static void sa_fs_free_fc(struct fs_context *fc)
{
	kfree(fc->s_fs_info);
}

static const struct fs_context_operations sa_fs_context_ops = {
	.parse_param	= sa_fs_parse_param,
	.get_tree	= sa_fs_get_tree,
	.free		= sa_fs_free_fc,
};

/* Defaults as tmpfs's: half of RAM, in bytes and in files. */
static int sa_fs_init_fs_context(struct fs_context *fc)
{
	struct sa_fs_info *info;

	info = kzalloc(sizeof(*info), GFP_KERNEL);
	if (!info)
		return -ENOMEM;
	info->limit.max_pages = totalram_pages() / 2;
	info->limit.max_objects = totalram_pages() / 2;
	info->mode = 0755;
	info->uid = current_fsuid();
	info->gid = current_fsgid();
	fc->s_fs_info = info;
	fc->ops = &sa_fs_context_ops;
	return 0;
}

static void sa_fs_kill_sb(struct super_block *sb)
{
	struct sa_fs_info *info = sb->s_fs_info;

	kill_litter_super(sb);
	kfree(info);
}

/* A mounted instance pins the module: unmount before rmmod. */
static struct file_system_type sa_shadowallocfs_type = {
	.owner			= THIS_MODULE,
	.name			= "shadowallocfs",
	.init_fs_context	= sa_fs_init_fs_context,
	.parameters		= sa_fs_params,
	.kill_sb		= sa_fs_kill_sb,
};

/**
 * sa_fs_init() - register shadowallocfs
 *
 * Return: 0 or a negative errno.
 */
int sa_fs_init(void)
{
	return register_filesystem(&sa_shadowallocfs_type);
}

/**
 * sa_fs_exit() - unregister it; no instance can be mounted (each pins us)
 */
void sa_fs_exit(void)
{
	unregister_filesystem(&sa_shadowallocfs_type);
}
