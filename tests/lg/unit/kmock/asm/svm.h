/* SPDX-License-Identifier: GPL-2.0 */
/* The unit tests' stand-in: lg.h only names struct vmcb. */
