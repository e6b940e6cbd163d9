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
 * The file's creator is its owner: its group decides where pages come from.
 * A flat directory, no subdirectories: QEMU creates, maps and unlinks.
 */
#include <linux/fs.h>
#include <linux/falloc.h>
#include <linux/fs_context.h>
#include <linux/mm.h>
#include <linux/module.h>
#include <linux/pagemap.h>

#include "shadowalloc.h"

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
	.llseek			= generic_file_llseek,
	.fsync			= noop_fsync,
};

static int sa_fs_create(struct mnt_idmap *idmap, struct inode *dir,
			struct dentry *dentry, umode_t mode, bool excl)
{
	struct inode *inode = new_inode(dir->i_sb);
	int ret;

	if (!inode)
		return -ENOMEM;
	inode->i_ino = get_next_ino();
	inode_init_owner(idmap, inode, dir, S_IFREG | (mode & 07777));
	simple_inode_init_ts(inode);
	inode->i_op = &sa_fs_file_iops;
	inode->i_fop = &sa_fs_file_fops;
	ret = sa_mem_attach(inode);
	if (ret) {
		iput(inode);
		return ret;
	}
	d_instantiate(dentry, inode);
	dget(dentry);	/* pinned until unlink, as in ramfs */
	inode_set_mtime_to_ts(dir, inode_set_ctime_current(dir));
	return 0;
}

static const struct inode_operations sa_fs_dir_iops = {
	.create		= sa_fs_create,
	.lookup		= simple_lookup,
	.unlink		= simple_unlink,
};

static int sa_fs_fill_super(struct super_block *sb, struct fs_context *fc)
{
	struct inode *root;

	sb->s_maxbytes = MAX_LFS_FILESIZE;
	sb->s_blocksize = PAGE_SIZE;
	sb->s_blocksize_bits = PAGE_SHIFT;
	sb->s_magic = SHADOWALLOCFS_MAGIC;
	sb->s_op = &sa_mem_super_ops;
	sb->s_time_gran = 1;

	root = new_inode(sb);
	if (!root)
		return -ENOMEM;
	root->i_ino = get_next_ino();
	inode_init_owner(&nop_mnt_idmap, root, NULL, S_IFDIR | 01777);
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

static const struct fs_context_operations sa_fs_context_ops = {
	.get_tree	= sa_fs_get_tree,
};

static int sa_fs_init_fs_context(struct fs_context *fc)
{
	fc->ops = &sa_fs_context_ops;
	return 0;
}

/* A mounted instance pins the module: unmount before rmmod. */
static struct file_system_type sa_shadowallocfs_type = {
	.owner			= THIS_MODULE,
	.name			= "shadowallocfs",
	.init_fs_context	= sa_fs_init_fs_context,
	.kill_sb		= kill_litter_super,
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
