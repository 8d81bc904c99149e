/* SPDX-License-Identifier: GPL-2.0 */
/*
 * The guest's general registers in struct lg_vcpu's regs[], in the order
 * the instruction encoding numbers them (so ModRM's register field is an
 * index).  Plain numbers, so that switch.S can use them too.
 */
#ifndef LG_REGS_H
#define LG_REGS_H

#define LG_RAX		0
#define LG_RCX		1
#define LG_RDX		2
#define LG_RBX		3
#define LG_RSP		4
#define LG_RBP		5
#define LG_RSI		6
#define LG_RDI		7
#define LG_R8		8
#define LG_R9		9
#define LG_R10		10
#define LG_R11		11
#define LG_R12		12
#define LG_R13		13
#define LG_R14		14
#define LG_R15		15
#define LG_NR_REGS	16

#endif /* LG_REGS_H */
