/*
 * fuzz.h: what every harness in t/fuzz/ shares.
 *
 * Each fuzz-<target>.c defines LLVMFuzzerTestOneInput. Built with clang
 * -fsanitize=fuzzer (make fuzz) libFuzzer supplies main(); built with gcc
 * for make check, standalone.c does, replaying the committed seed corpus.
 *
 * A harness checks properties, not only the absence of crashes: FUZZ_CHECK
 * prints the failed condition and aborts, which libFuzzer reports as a
 * crash (and saves the input) and the standalone driver as a failure.
 */
#ifndef JWTAUTH_FUZZ_H
#define JWTAUTH_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * Under a sanitizer the message goes through the sanitizer's report
 * channel too: `make fuzz-run` closes stderr (-close_fd_mask=2, to keep
 * the library's log lines out), and libFuzzer points that channel at its
 * own output, so the failed property shows next to the stack trace.
 */
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FUZZ_SANITIZER 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__)
#define FUZZ_SANITIZER 1
#endif

#ifdef FUZZ_SANITIZER
void __sanitizer_report_error_summary(const char *error_summary);
#define FUZZ_REPORT(msg) __sanitizer_report_error_summary(msg)
#else
#define FUZZ_REPORT(msg) ((void)(msg))
#endif

#define FUZZ_STR2(x) #x
#define FUZZ_STR(x) FUZZ_STR2(x)

#define FUZZ_CHECK(cond) do {                                            \
	if (!(cond)) {                                                   \
		static const char fuzz_msg_[] = __FILE__ ":"             \
		    FUZZ_STR(__LINE__) ": property failed: " #cond;      \
		fprintf(stderr, "%s\n", fuzz_msg_);                      \
		FUZZ_REPORT(fuzz_msg_);                                  \
		abort();                                                 \
	}                                                                \
} while (0)

#endif
