# t/fuzz/fuzz.mk: the fuzz harnesses, included at the end of Makefile.am
# (after check_PROGRAMS, TESTS and EXTRA_DIST are set, which this adds to).
#
#   make check                    each harness, built with gcc and the
#                                 standalone driver, replays its committed
#                                 seed corpus (t/fuzz-corpus.t, one TAP line
#                                 per target)
#   make fuzz                     libFuzzer binaries in t/fuzz/bin/, built
#                                 with clang -fsanitize=fuzzer,address,undefined
#                                 from lib/*.c compiled apart (t/fuzz/bin/obj/),
#                                 so the gcc objects of the normal build are
#                                 left alone
#   make fuzz-run FUZZ_SECONDS=N  fuzz each target N seconds (default 60),
#                                 one process at a time, starting from a copy
#                                 of its seed corpus in t/fuzz/run/<target>/;
#                                 prints the executions per target, and fails
#                                 if any target found something (the input is
#                                 then in t/fuzz/run/<target>/artifacts/)
#   make fuzz-clean               remove t/fuzz/bin/ and t/fuzz/run/

fuzz_targets = jwt reqjson cfg b64url bearer http form authz

# --- (a) make check -----------------------------------------------------
fuzz_check_programs = \
	t/fuzz/fuzz-jwt \
	t/fuzz/fuzz-reqjson \
	t/fuzz/fuzz-cfg \
	t/fuzz/fuzz-b64url \
	t/fuzz/fuzz-bearer \
	t/fuzz/fuzz-http \
	t/fuzz/fuzz-form \
	t/fuzz/fuzz-authz
check_PROGRAMS += $(fuzz_check_programs)
t_fuzz_fuzz_jwt_SOURCES = t/fuzz/fuzz-jwt.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_reqjson_SOURCES = t/fuzz/fuzz-reqjson.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_cfg_SOURCES = t/fuzz/fuzz-cfg.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_b64url_SOURCES = t/fuzz/fuzz-b64url.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_bearer_SOURCES = t/fuzz/fuzz-bearer.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_http_SOURCES = t/fuzz/fuzz-http.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_form_SOURCES = t/fuzz/fuzz-form.c t/fuzz/standalone.c t/fuzz/fuzz.h
t_fuzz_fuzz_authz_SOURCES = t/fuzz/fuzz-authz.c t/fuzz/standalone.c t/fuzz/fuzz.h

TESTS += t/fuzz-corpus.t
EXTRA_DIST += t/fuzz-corpus.t t/fuzz/corpus t/fuzz/json.dict t/fuzz/cfg.dict t/fuzz/form.dict \
	t/fuzz/README.md t/fuzz/.gitignore

# --- (b) make fuzz ------------------------------------------------------
FUZZ_CC = clang
FUZZ_SANITIZE = -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined
FUZZ_CFLAGS = -g -O1 -fno-omit-frame-pointer -Wall -Wextra -Wno-unused-parameter $(FUZZ_SANITIZE)
# _FORTIFY_SOURCE and ASan check the same things in each other's way.
FUZZ_CPPFLAGS = -I$(top_builddir) -I$(top_srcdir)/lib -U_FORTIFY_SOURCE \
	-DSYSCONFDIR='"$(sysconfdir)"' \
	$(JSONC_CFLAGS) $(SODIUM_CFLAGS) $(CRYPTO_CFLAGS) $(MARIADB_CFLAGS)
FUZZ_LIBS = $(FCGI_LIBS) $(MARIADB_LIBS) $(JSONC_LIBS) $(SODIUM_LIBS) \
	$(CRYPTO_LIBS) $(XCRYPT_LIBS)

fuzz_bins = \
	t/fuzz/bin/fuzz-jwt \
	t/fuzz/bin/fuzz-reqjson \
	t/fuzz/bin/fuzz-cfg \
	t/fuzz/bin/fuzz-b64url \
	t/fuzz/bin/fuzz-bearer \
	t/fuzz/bin/fuzz-http \
	t/fuzz/bin/fuzz-form \
	t/fuzz/bin/fuzz-authz

fuzz: $(fuzz_bins)

# The whole library, instrumented, once for all harnesses; again whenever
# any of its files (or config.h) changes.
t/fuzz/bin/obj/lib.stamp: $(lib_libjwtauth_a_SOURCES) config.h
	@$(MKDIR_P) t/fuzz/bin/obj
	$(AM_V_GEN)for f in $(lib_libjwtauth_a_SOURCES); do \
	  case $$f in *.c) ;; *) continue ;; esac; \
	  o=t/fuzz/bin/obj/`basename $$f .c`.o; \
	  $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -c -o $$o $(srcdir)/$$f || exit 1; \
	done; touch $@

FUZZ_LINK = $(FUZZ_CC) $(FUZZ_CFLAGS) $(FUZZ_CPPFLAGS) -o $@ \
	$(srcdir)/t/fuzz/$(@F).c t/fuzz/bin/obj/*.o $(FUZZ_LIBS)

t/fuzz/bin/fuzz-jwt: t/fuzz/fuzz-jwt.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-reqjson: t/fuzz/fuzz-reqjson.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-cfg: t/fuzz/fuzz-cfg.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-b64url: t/fuzz/fuzz-b64url.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-bearer: t/fuzz/fuzz-bearer.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-http: t/fuzz/fuzz-http.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-form: t/fuzz/fuzz-form.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)
t/fuzz/bin/fuzz-authz: t/fuzz/fuzz-authz.c t/fuzz/fuzz.h t/fuzz/bin/obj/lib.stamp
	$(AM_V_GEN)$(FUZZ_LINK)

# --- (c) make fuzz-run FUZZ_SECONDS=N -----------------------------------
FUZZ_SECONDS = 60
# Extra libFuzzer flags, e.g. FUZZ_RUN_FLAGS=-only_ascii=1.
FUZZ_RUN_FLAGS =

# One process per target, one target at a time (the machine is shared).
# -close_fd_mask=2 silences the library's log lines on stderr; libFuzzer's
# own output and the sanitizer reports still reach the log. -timeout: an
# input that takes 10 s is a hang worth reporting.
fuzz-run: fuzz
	@status=0; \
	for t in $(fuzz_targets); do \
	  dir=t/fuzz/run/$$t; \
	  rm -rf $$dir && $(MKDIR_P) $$dir/corpus $$dir/artifacts || exit 1; \
	  cp $(srcdir)/t/fuzz/corpus/$$t/* $$dir/corpus/ || exit 1; \
	  case $$t in jwt|bearer|reqjson|http) dict=$(srcdir)/t/fuzz/json.dict ;; \
	    cfg) dict=$(srcdir)/t/fuzz/cfg.dict ;; form) dict=$(srcdir)/t/fuzz/form.dict ;; \
	    *) dict= ;; esac; \
	  case $$t in jwt|bearer|http) maxlen=-max_len=12288 ;; *) maxlen= ;; esac; \
	  t/fuzz/bin/fuzz-$$t -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
	    -print_final_stats=1 -close_fd_mask=2 $$maxlen \
	    $${dict:+-dict=$$dict} -artifact_prefix=$$dir/artifacts/ \
	    $(FUZZ_RUN_FLAGS) $$dir/corpus >$$dir/log 2>&1; \
	  rc=$$?; \
	  execs=`sed -n 's/^stat::number_of_executed_units: *//p' $$dir/log`; \
	  cov=`grep -o 'cov: [0-9]*' $$dir/log | tail -n 1`; \
	  echo "fuzz-$$t: $${execs:-?} executions in $(FUZZ_SECONDS) s, $$cov," \
	    "corpus `ls $$dir/corpus | wc -l` inputs, exit $$rc"; \
	  if [ $$rc -ne 0 ] || [ -n "`ls $$dir/artifacts`" ]; then \
	    status=1; echo "  FOUND SOMETHING: see $$dir/log and $$dir/artifacts/"; \
	  fi; \
	done; \
	exit $$status

fuzz-clean:
	rm -rf t/fuzz/bin t/fuzz/run

clean-local: fuzz-clean

.PHONY: fuzz fuzz-run fuzz-clean
