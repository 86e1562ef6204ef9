# techmart. `make run` and `make test` are all a newcomer needs: both install
# the missing Debian packages first (tools/deps.sh).
CC ?= cc
PKGS := libevent jansson libsodium sqlite3
WARN := -std=c11 -D_GNU_SOURCE -Wall -Wextra -Werror -Wvla -Wshadow -Wformat=2 \
        -Wmissing-prototypes -Wstrict-prototypes
CFLAGS ?= -O2 -g
SAN := -O1 -g -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
LIBS = $(shell pkg-config --libs $(PKGS) 2>/dev/null || echo -levent -ljansson -lsodium -lsqlite3) \
       -lpthread -lm

DB ?= techmart.db
PORT ?= 8080

LIB_SRC := $(wildcard common/*.c index/*.c import/*.c) $(filter-out server/main.c,$(wildcard server/*.c))
DEMO_SRC := server/demo_data.S
HDRS := $(wildcard common/*.h index/*.h import/*.h server/*.h)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
FUZZ_SRC := $(wildcard tests/fuzz/fuzz_*.c)

OBJ := $(LIB_SRC:%.c=build/obj/%.o) build/obj/server/demo_data.o
SAN_OBJ := $(LIB_SRC:%.c=build/asan/obj/%.o) build/asan/obj/server/demo_data.o
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=build/asan/tests/%)
REPLAY_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=build/asan/fuzz/replay_%)
FUZZ_BIN := $(FUZZ_SRC:tests/fuzz/fuzz_%.c=build/fuzz/fuzz_%)

.PHONY: all run test bench fuzz deps deps-test deps-bench lint fmt clean install

all: build/techmart

deps:
	@tools/deps.sh build
deps-test:
	@tools/deps.sh test
deps-bench:
	@tools/deps.sh bench

build/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(CFLAGS) -c $< -o $@
build/asan/obj/%.o: %.c $(HDRS)
	@mkdir -p $(dir $@)
	$(CC) $(WARN) $(SAN) -c $< -o $@
build/obj/server/demo_data.o build/asan/obj/server/demo_data.o: $(DEMO_SRC) data/demo/technologies.jsonl data/demo/institutions.jsonl
	@mkdir -p $(dir $@)
	$(CC) -c $< -o $@

# Tests link the archive, so each pulls in only the modules it uses.
build/asan/libtechmart.a: $(SAN_OBJ)
	rm -f $@
	ar rcs $@ $^

build/techmart: $(OBJ) build/obj/server/main.o
	$(CC) $(CFLAGS) $^ -o $@ $(LIBS)
build/asan/techmart: $(SAN_OBJ) build/asan/obj/server/main.o
	$(CC) $(SAN) $^ -o $@ $(LIBS)
build/asan/tests/%: tests/unit/%.c $(wildcard tests/*.h) build/asan/libtechmart.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Wno-missing-prototypes $(SAN) $< build/asan/libtechmart.a -o $@ $(LIBS)

# Each fuzz target twice: a corpus replay (gcc, ASan+UBSan) that `make test`
# runs, and a libFuzzer binary (clang) that `make fuzz` runs for a while.
build/asan/fuzz/replay_%: tests/fuzz/fuzz_%.c tests/fuzz/replay.c $(wildcard tests/fuzz/*.h) build/asan/libtechmart.a
	@mkdir -p $(dir $@)
	$(CC) $(WARN) -Wno-missing-prototypes $(SAN) -DTM_CORPUS='"tests/fuzz/corpus/$*"' \
		$< tests/fuzz/replay.c build/asan/libtechmart.a -o $@ $(LIBS)
build/fuzz/fuzz_%: tests/fuzz/fuzz_%.c $(wildcard tests/fuzz/*.h) $(LIB_SRC) $(HDRS)
	@mkdir -p $(dir $@)
	clang $(WARN) -Wno-missing-prototypes -O1 -g -fsanitize=fuzzer,address,undefined \
		-fno-sanitize-recover=all \
		$< $(LIB_SRC) server/demo_data.S -o $@ $(LIBS)

FUZZ_SECONDS ?= 60
fuzz:
	@tools/deps.sh fuzz
	@$(MAKE) --no-print-directory $(FUZZ_BIN)
	@for f in $(FUZZ_BIN); do \
		name=$${f##*/fuzz_}; mkdir -p build/fuzz/new_$$name; \
		echo "fuzzing $$name for $(FUZZ_SECONDS) s"; \
		$$f -max_total_time=$(FUZZ_SECONDS) -max_len=4096 -rss_limit_mb=2048 build/fuzz/new_$$name \
			tests/fuzz/corpus/$$name || exit 1; \
	done

# Builds, loads the bundled demo catalogue and one account per role into a
# new database (printing the accounts' generated passwords once; an existing
# database is reused) and serves it on http://127.0.0.1:$(PORT).
run:
	@tools/deps.sh build
	@$(MAKE) --no-print-directory build/techmart
	@if [ ! -s "$(DB)" ]; then build/techmart demo --db "$(DB)" --accounts; fi
	build/techmart serve --db "$(DB)" --port $(PORT)

# Every test, under AddressSanitizer and UBSan; ends with "N passed, N failed".
test:
	@tools/deps.sh test
	@$(MAKE) --no-print-directory build/techmart build/asan/techmart $(UNIT_BIN) $(REPLAY_BIN)
	@tests/run.sh

bench:
	@tools/deps.sh bench
	@$(MAKE) --no-print-directory build/techmart
	@bench/run.sh

lint:
	@! grep -nE "#include <(event2|jansson)" index/*.[ch] || \
		{ echo "index/ must not include evhttp or Jansson headers" >&2; exit 1; }
	clang-format --dry-run -Werror $(wildcard common/*.[ch] index/*.[ch] import/*.[ch] server/*.[ch] tests/unit/*.c)

fmt:
	clang-format -i $(wildcard common/*.[ch] index/*.[ch] import/*.[ch] server/*.[ch] tests/unit/*.c)

clean:
	rm -rf build
