// SPDX-License-Identifier: GPL-2.0
/*
 * Runs saved fuzz inputs through LLVMFuzzerTestOneInput() without
 * libFuzzer, so the corpus doubles as a regression test built with gcc.
 * Prints one TAP line per file; a broken invariant aborts, and the
 * caller's wrapper turns that into "not ok".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

#include "tap.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t size = 0, cap = 0, n;

	if (!f) {
		perror(path);
		return -1;
	}
	do {
		if (size == cap) {
			cap = cap ? 2 * cap : 4096;
			data = realloc(data, cap);
			if (!data) {
				perror("realloc");
				exit(1);
			}
		}
		n = fread(data + size, 1, cap - size, f);
		size += n;
	} while (n);
	/* Half a file would replay as another input: none at all. */
	if (ferror(f)) {
		perror(path);
		fclose(f);
		free(data);
		return -1;
	}
	fclose(f);
	LLVMFuzzerTestOneInput(data, size);
	free(data);
	return 0;
}

int main(int argc, char **argv)
{
	int i;

	/* Line-buffered (tap_init()): an abort loses no earlier result. */
	tap_init();
	tap_plan(argc - 1);
	/* Whole paths: the vring_core and virtqueue corpora share names. */
	for (i = 1; i < argc; i++) {
		if (replay(argv[i]))
			tap_ok(false, "replay %s (unreadable)", argv[i]);
		else
			tap_ok(true, "fuzz input %s replays clean", argv[i]);
	}
	return tap_finish();
}
