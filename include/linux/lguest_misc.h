/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The misc-device minors of lguest's modules.
 *
 * They are fixed, not dynamic, for one reason: a fixed minor lets a module
 * carry a "devname:" alias with its "char-major-10-N" alias, and then
 * depmod lists it in modules.devname, kmod static-nodes makes /dev/lguest,
 * /dev/vring and /dev/tun_vring at boot before the modules are loaded, and
 * the first open() of one loads its module (as /dev/kvm's and
 * /dev/vhost-net's do).  udev then gives the nodes their group and mode
 * (packaging/60-lguest.rules).
 *
 * 243-245 are free in include/linux/miscdevice.h of both kernels we build
 * for (6.1 and 6.12: the fixed minors end at RFKILL_MINOR, 242).  Were
 * another driver ever to take one, misc_register() fails with EBUSY and
 * the module does not load, which says so in the kernel log.
 */
#ifndef _LINUX_LGUEST_MISC_H
#define _LINUX_LGUEST_MISC_H

#define LGUEST_MINOR		243
#define VRING_MINOR		244
#define TUN_VRING_MINOR		245

#endif /* _LINUX_LGUEST_MISC_H */
