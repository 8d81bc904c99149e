/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What the fuzz targets share: reading the input a few bytes at a time
 * (zeros once it runs out, so every input is a whole scenario), the
 * check that turns a broken invariant into a crash libFuzzer records, and
 * what a copy between a chain and a flat buffer must move.
 */
#ifndef FUZZ_INPUT_H
#define FUZZ_INPUT_H

#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FUZZ_CHECK(cond) do {						\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant broken: %s\n",	\
			__FILE__, __LINE__, #cond);			\
		abort();						\
	}								\
} while (0)

struct fuzz_input {
	const uint8_t *data;
	size_t size;
	size_t pos;
};

/* Input bytes, then zeros once the input runs out. */
static inline void take(struct fuzz_input *in, void *dst, size_t len)
{
	size_t n = in->size - in->pos < len ? in->size - in->pos : len;

	memcpy(dst, in->data + in->pos, n);
	memset((uint8_t *)dst + n, 0, len - n);
	in->pos += n;
}

static inline uint8_t take8(struct fuzz_input *in)
{
	uint8_t v;

	take(in, &v, 1);
	return v;
}

static inline uint16_t take16(struct fuzz_input *in)
{
	uint16_t v;

	take(in, &v, 2);
	return le16toh(v);
}

static inline uint32_t take32(struct fuzz_input *in)
{
	uint32_t v;

	take(in, &v, 4);
	return le32toh(v);
}

/* Bytes a copy from byte offset of a part of part bytes can move. */
static inline size_t copy_expect(uint64_t part, size_t offset, size_t len)
{
	if (offset >= part)
		return 0;
	return len < part - offset ? len : part - offset;
}

#endif /* FUZZ_INPUT_H */
