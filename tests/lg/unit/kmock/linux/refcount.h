/* SPDX-License-Identifier: GPL-2.0 */
/* The unit tests' stand-in: see kmock.h. */
#include "../kmock.h"
